"""The post-loan work through GraphQL: reviews, collection cases and their strategies,
promises to pay, disposals, delinquency history and the jobs that run them (each area's
reads a class merged into the root ``Query``)."""
