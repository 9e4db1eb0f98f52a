"""The post-loan work through GraphQL: reviews, collection cases, delinquency history and
the jobs that run them (each area's reads a class merged into the root ``Query``)."""
