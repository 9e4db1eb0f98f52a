"""What checking an access token costs the API, per request, against Authlib's own
RFC 9068 validator in the same run.

    python -m benchmarks.token_verify [--tokens 5000] [--redis redis://127.0.0.1:6379/0]

Signs tokens with a fresh signing key in a temporary SQLite database, then checks each
one with :class:`auth.access_tokens.AccessTokenVerifier` (keys in memory, the revocation
list in memory) and with ``authlib.oauth2.rfc9068.JWTBearerTokenValidator`` (the JWKS
given as a key set, no revocation check). Prints microseconds per check (median, p99)
and the ratio. With ``--redis``, the revocation list listens to Redis as it does in a
multi-process deployment (the check itself stays a memory lookup).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from joserfc.jwk import KeySet
from rich.console import Console
from rich.table import Table

from auth.access_tokens import AccessTokenVerifier, new_token_id, sign_access_token
from auth.revocations import Revocations
from auth.signing_keys import SigningKeyStore
from loanwatch.migrations import migrate
from portfolio.database import create_sql_engine

ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "loanwatch-api"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e6, ordered[int(len(ordered) * 0.99)] * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=5_000)
    parser.add_argument("--redis", default=None, help="a Redis URL for the revocation list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = create_sql_engine(f"sqlite:///{Path(folder) / 'oauth.db'}")
        migrate(engine)
        keys = SigningKeyStore(engine)
        key = keys.active()
        redis_client = None
        if args.redis:
            import redis

            redis_client = redis.Redis.from_url(args.redis)
        revocations = Revocations(engine, redis=redis_client)
        revocations.start()
        verifier = AccessTokenVerifier(keys.published, revocations, issuer=ISSUER,
                                       audience=AUDIENCE)
        now = int(time.time())
        tokens = [sign_access_token(key, {
            "iss": ISSUER, "sub": f"user:u{n}", "aud": AUDIENCE, "exp": now + 600,
            "iat": now, "jti": new_token_id(), "client_id": "lw-bench",
            "scope": "portfolio:read", "role": "analyst"}) for n in range(args.tokens)]

        async def ours() -> list[float]:
            times = []
            for token in tokens:
                start = time.perf_counter()
                await verifier.verify(token)
                times.append(time.perf_counter() - start)
            return times

        baseline = JWTBearerTokenValidator(issuer=ISSUER, resource_server=AUDIENCE)
        key_set = KeySet.import_key_set(keys.jwks())
        baseline.get_jwks = lambda: key_set  # type: ignore[method-assign]

        def authlib_times() -> list[float]:
            times = []
            for token in tokens:
                start = time.perf_counter()
                baseline.authenticate_token(token).validate()
                times.append(time.perf_counter() - start)
            return times

        ours_p50, ours_p99 = _percentiles(asyncio.run(ours()))
        base_p50, base_p99 = _percentiles(authlib_times())
        revocations.close()
        engine.dispose()
    table = Table("verifier", "median µs", "p99 µs", title=f"{args.tokens:,} tokens")
    table.add_row("AccessTokenVerifier (+ revocation list)", f"{ours_p50:.0f}",
                  f"{ours_p99:.0f}")
    table.add_row("Authlib JWTBearerTokenValidator", f"{base_p50:.0f}", f"{base_p99:.0f}")
    console = Console()
    console.print(table)
    console.print(f"ratio (Authlib / ours, median): {base_p50 / ours_p50:.2f}")


if __name__ == "__main__":
    main()
