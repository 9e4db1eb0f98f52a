"""The post-loan areas' reads (collections strategies, promises, ...), each a class merged
into the root ``Query``."""
