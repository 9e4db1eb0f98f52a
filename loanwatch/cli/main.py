"""The ``loanwatch`` command: one typer application, one module per subcommand family."""

from __future__ import annotations

import typer

from loanwatch.cli import alerts as alerts_cli
from loanwatch.cli import audit as audit_cli
from loanwatch.cli import circles as circles_cli
from loanwatch.cli import classify as classify_cli
from loanwatch.cli import clients as clients_cli
from loanwatch.cli import collections as collections_cli
from loanwatch.cli import demo as demo_cli
from loanwatch.cli import disposals as disposals_cli
from loanwatch.cli import documents as documents_cli
from loanwatch.cli import features as features_cli
from loanwatch.cli import groups as groups_cli
from loanwatch.cli import imports as imports_cli
from loanwatch.cli import jobs as jobs_cli
from loanwatch.cli import keys as keys_cli
from loanwatch.cli import migrate as migrate_cli
from loanwatch.cli import model as model_cli
from loanwatch.cli import model_fit as model_fit_cli
from loanwatch.cli import model_graph as model_graph_cli
from loanwatch.cli import model_loss as model_loss_cli
from loanwatch.cli import model_tabular as model_tabular_cli
from loanwatch.cli import neo4j as neo4j_cli
from loanwatch.cli import notifications as notifications_cli
from loanwatch.cli import override as override_cli
from loanwatch.cli import purge as purge_cli
from loanwatch.cli import reviews as reviews_cli
from loanwatch.cli import rings as rings_cli
from loanwatch.cli import rules as rules_cli
from loanwatch.cli import scan as scan_cli
from loanwatch.cli import schema_sdl as schema_cli
from loanwatch.cli import seed as seed_cli
from loanwatch.cli import serve as serve_cli
from loanwatch.cli import signing_keys as signing_keys_cli
from loanwatch.cli import stress as stress_cli
from loanwatch.cli import users as users_cli
from loanwatch.cli import worker as worker_cli
from loanwatch.cli.errors import run_reporting_errors

app = typer.Typer(
    name="loanwatch",
    help="Loanwatch: graph-native post-loan management.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Subcommands register themselves here, one line each.
app.command(name="circles")(circles_cli.circles)
app.command(name="classify")(classify_cli.classify)
app.command(name="demo")(demo_cli.demo)
app.command(name="features")(features_cli.features)
app.command(name="groups")(groups_cli.groups)
app.command(name="import")(imports_cli.import_)
app.add_typer(keys_cli.app, name="keys", help="Encryption keys of personal data: rotate, status.")
app.command(name="migrate")(migrate_cli.migrate)
app.command(name="purge-rejected")(purge_cli.purge_rejected)
app.command(name="rings")(rings_cli.rings)
app.command(name="seed")(seed_cli.seed)
app.add_typer(neo4j_cli.app, name="neo4j", help="Run the local Neo4j server (no Docker).")
app.command(name="serve")(serve_cli.serve)
app.add_typer(rules_cli.app, name="rules", help="Check early-warning rules files.")
app.add_typer(alerts_cli.app, name="alerts", help="Early-warning alerts: run the rules, work "
              "the alerts.")
app.command(name="stress")(stress_cli.stress)
app.add_typer(override_cli.app, name="override", help="Audited manual overrides of a loan's "
              "tier, stage or ECL.")
model_cli.app.command(name="fit")(model_fit_cli.fit)
model_cli.app.command(name="train")(model_tabular_cli.train)
model_cli.app.command(name="score")(model_tabular_cli.score)
model_cli.app.command(name="train-graph")(model_graph_cli.train_graph)
model_cli.app.command(name="loss")(model_loss_cli.loss)
app.add_typer(model_cli.app, name="model", help="Credit models: train, register, score, "
              "and choose the production model.")
app.add_typer(schema_cli.app, name="schema", help="The GraphQL schema's SDL, for front-end "
              "tools.")
app.add_typer(scan_cli.app, name="scan", help="The whole pass, stored as one versioned run.")
app.add_typer(audit_cli.app, name="audit", help="The tamper-evident audit trail.")
app.add_typer(clients_cli.app, name="clients", help="OAuth clients: integrations and front ends.")
app.add_typer(users_cli.app, name="users", help="Users who sign in on the login page.")
app.add_typer(signing_keys_cli.app, name="signing-keys", help="The keys that sign access tokens.")
app.add_typer(documents_cli.app, name="documents", help="Trusted GraphQL documents.")
app.add_typer(collections_cli.app, name="collections", help="Collections: the daily run, bucket "
              "history, roll and cure rates, cases.")
app.add_typer(jobs_cli.app, name="jobs", help="Jobs: units of work, schedules, dead letters "
              "(retry, discard).")
app.command(name="worker")(worker_cli.worker)
app.command(name="scheduler")(worker_cli.scheduler)
app.add_typer(reviews_cli.app, name="reviews", help="Loan reviews: run, due, queue, decide.")
app.add_typer(disposals_cli.app, name="disposals", help="Disposals under maker-checker: "
              "propose, approve, reject, list, show.")
app.add_typer(notifications_cli.app, name="notifications", help="The notification outbox: "
              "list, retry, deliver.")


def main() -> None:
    run_reporting_errors(app)


if __name__ == "__main__":
    main()
