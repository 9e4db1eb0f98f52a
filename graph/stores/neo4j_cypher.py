"""The Cypher statements of the Neo4j store (:mod:`graph.stores.neo4j`), apart from the code
that runs them, as :mod:`graph.stores.embedded_sql` holds the embedded store's SQL.

Every node carries the label ``Entity`` and its label name in the ``label`` property; ids,
labels and relationship types written into a statement's text come from the ``Label`` and
``RelType`` enums, never from input. Reads return one record holding lists where they can:
the driver receives records one message at a time, which costs far more than the query for
tens of thousands of rows.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from graph.model import Label, RelType
from graph.personal_data import PERSONAL_PROPERTIES
from graph.walks import Hop

__all__ = [
    "COUNT_EDGES_QUERY",
    "COUNT_NODES_QUERY",
    "DELETE_ALL_QUERY",
    "DELETE_NODES_QUERY",
    "EDGES_PAGE_QUERY",
    "EDGE_TYPES_QUERY",
    "INCIDENT_QUERY",
    "IN_CLEAR_QUERY",
    "LABELS_QUERY",
    "MISSING_QUERY",
    "NODES_OF_LABEL_QUERY",
    "NODES_QUERY",
    "PARTIES_WHERE_QUERY",
    "PERSONAL_NAMES",
    "PROJECT_QUERY",
    "RESEAL_READ_QUERY",
    "RESEAL_WRITE_QUERY",
    "SCHEMA",
    "SEARCH_QUERY",
    "edge_upsert_query",
    "move_edges_query",
    "neighbourhood_query",
    "node_upsert_query",
    "rename_node_query",
    "walk_query",
]

#: Every personal property name, with the exact parts of amounts.
PERSONAL_NAMES: Final = sorted({f"{entry.name}{suffix}" for entry in PERSONAL_PROPERTIES
                                for suffix in ("", "_minor", "_currency")})

SCHEMA: Final = (
    "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE",
    "CREATE INDEX entity_label IF NOT EXISTS FOR (n:Entity) ON (n.label)",
    "CREATE TEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON (n.search_text)",
    "CREATE TEXT INDEX entity_name_tokens IF NOT EXISTS FOR (n:Entity) ON (n.name_tokens)",
    "CREATE TEXT INDEX entity_exact_tokens IF NOT EXISTS FOR (n:Entity) ON (n.exact_tokens)",
)

#: The first personal node holding a personal value in clear (written before encryption at
#: rest), if any. Neo4j has no place for a store-wide fact but nodes, and a marker node
#: would be data of its own; the state is read from the data instead, once per store.
IN_CLEAR_QUERY: Final = """
MATCH (n:Entity) WHERE n.label IN $labels
  AND any(k IN keys(n) WHERE k IN $personal AND NOT toString(n[k]) STARTS WITH $prefix)
RETURN n.id AS id LIMIT 1
"""

RESEAL_READ_QUERY: Final = """
MATCH (n:Entity) WHERE n.id > $after AND n.label = $label
WITH n ORDER BY n.id LIMIT $limit
SET n.label = n.label
RETURN collect([n.id, properties(n)]) AS nodes
"""
RESEAL_WRITE_QUERY: Final = """
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n += row.props, n.search_text = row.search_text, n.name_tokens = row.name_tokens,
    n.exact_tokens = row.exact_tokens
"""

SEARCH_QUERY: Final = """
MATCH (n:Entity)
WHERE n.label IN $labels AND (n.search_text CONTAINS $needle
   OR any(tokens IN $name_patterns WHERE all(t IN tokens WHERE n.name_tokens CONTAINS t))
   OR any(t IN $exact_patterns WHERE n.exact_tokens CONTAINS t))
RETURN collect([n.id, n.label, n.name, n.exact_tokens, properties(n)]) AS hits
"""

LABELS_QUERY: Final = """
UNWIND $ids AS id
MATCH (n:Entity {id: id})
RETURN collect(n.id) AS ids, collect(n.label) AS labels
"""

INCIDENT_QUERY: Final = """
UNWIND $ids AS id
MATCH (n:Entity {id: id})-[r]-()
WHERE $types IS NULL OR type(r) IN $types
WITH DISTINCT r
RETURN collect([type(r), startNode(r).id, endNode(r).id, r.key, properties(r)]) AS edges
"""

# A page of source nodes in id order (an index range seek on the id constraint), with
# their outgoing edges of the wanted types as one list: the driver decodes one record per
# page instead of one per edge, which costs far more. Dynamic property access reads only
# the properties asked for.
EDGES_PAGE_QUERY: Final = """
MATCH (a:Entity) WHERE a.id > $after
WITH a ORDER BY a.id LIMIT $page
WITH collect(a) AS sources, max(a.id) AS last
UNWIND sources AS a
OPTIONAL MATCH (a)-[r]->(b:Entity) WHERE type(r) IN $types
RETURN last, collect(CASE WHEN r IS NOT NULL THEN
    [type(r), a.id, b.id, coalesce(r.key, ''),
     [name IN $props | r[name]] + [name IN $source_props | a[name]]
     + [name IN $target_props | b[name]]] END) AS rows
"""

MISSING_QUERY: Final = """
UNWIND $ids AS id
OPTIONAL MATCH (n:Entity {id: id})
WITH id, n WHERE n IS NULL
RETURN collect(id) AS missing
"""



def node_upsert_query(label: Label) -> str:
    # Labels cannot be query parameters; they come from the Label enum, never from input.
    # The label is set only when the node is created, and the node is written only when its
    # stored label is this one. MERGE on the uniqueness constraint waits for a concurrent
    # transaction that creates the same id, so the label read here is the committed one:
    # two imports at once cannot give one node two labels. Conflicts come back, and the
    # transaction function rolls the batch back.
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.id}})
ON CREATE SET n.label = '{label.value}'
WITH n, row
FOREACH (_ IN CASE WHEN n.label = '{label.value}' THEN [1] ELSE [] END |
    SET n:{label.value}, n += row.props,
        n.search_text = CASE WHEN row.props.name IS NULL
                             THEN coalesce(n.search_text, row.search_text)
                             ELSE row.search_text END,
        n.name_tokens = coalesce(row.name_tokens, n.name_tokens),
        n.exact_tokens = coalesce(row.exact_tokens, n.exact_tokens))
WITH n WHERE n.label <> '{label.value}'
RETURN collect([n.id, n.label]) AS conflicts
"""


def edge_upsert_query(rel_type: RelType) -> str:
    return f"""
UNWIND $rows AS row
MATCH (a:Entity {{id: row.source}})
MATCH (b:Entity {{id: row.target}})
MERGE (a)-[r:{rel_type.value} {{key: row.key}}]->(b)
SET r += row.props
RETURN count(*) AS written
"""


def rename_node_query(label: Label) -> str:
    return f"""
UNWIND $rows AS row
MERGE (n:Entity {{id: row.new}})
SET n:{label.value}, n.label = '{label.value}', n += row.props, n.search_text = row.search_text,
    n.name_tokens = coalesce(row.name_tokens, n.name_tokens),
    n.exact_tokens = coalesce(row.exact_tokens, n.exact_tokens)
"""


def move_edges_query(rel_type: RelType, outgoing: bool) -> str:
    # An edge cannot be re-pointed in Cypher: a copy is merged at the new end, then the old
    # one deleted. A self-loop moves whole in the outgoing pass.
    if outgoing:
        match = f"MATCH (old:Entity {{id: row.old}})-[r:{rel_type.value}]->(other)"
        merge = f"MERGE (new)-[moved:{rel_type.value} {{key: r.key}}]->(end)"
    else:
        match = f"MATCH (other)-[r:{rel_type.value}]->(old:Entity {{id: row.old}})"
        merge = f"MERGE (end)-[moved:{rel_type.value} {{key: r.key}}]->(new)"
    return f"""
UNWIND $rows AS row
{match}
MATCH (new:Entity {{id: row.new}})
WITH r, new, CASE WHEN other = old THEN new ELSE other END AS end
{merge}
SET moved += properties(r)
DELETE r
"""


EDGE_TYPES_QUERY: Final = """
UNWIND $ids AS id
MATCH (:Entity {id: id})-[r]-()
RETURN collect(DISTINCT type(r)) AS types
"""


NODES_QUERY: Final = """
UNWIND $ids AS id MATCH (n:Entity {id: id})
RETURN collect([n.id, n.label, properties(n)]) AS nodes
"""

NODES_OF_LABEL_QUERY: Final = """
MATCH (n:Entity) WHERE n.label = $label
RETURN collect([n.id, properties(n)]) AS nodes
"""

PARTIES_WHERE_QUERY: Final = """
MATCH (n:Entity) WHERE n.label IN ['Person', 'Company']
  AND any(key IN $keys WHERE n[key] IS :: STRING AND toLower(trim(n[key])) = $needle)
RETURN collect(n.id) AS ids
"""

PROJECT_QUERY: Final = """
MATCH (a:Entity)-[r]->(b:Entity)
WHERE type(r) IN $types
  AND ($labels IS NULL OR (a.label IN $labels AND b.label IN $labels))
RETURN a.id AS source, a.label AS source_label, properties(a) AS source_props,
       b.id AS target, b.label AS target_label, properties(b) AS target_props,
       type(r) AS type, r.key AS key, properties(r) AS props
"""

COUNT_NODES_QUERY: Final = "MATCH (n:Entity) RETURN n.label AS label, count(*) AS n"
COUNT_EDGES_QUERY: Final = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS n"
DELETE_ALL_QUERY: Final = (
    "MATCH (n:Entity) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS")
DELETE_NODES_QUERY: Final = "UNWIND $ids AS id MATCH (n:Entity {id: id}) DETACH DELETE n"


#: One hop of :func:`neighbourhood_query`: the frontier's neighbours over the wanted edges,
#: of the wanted labels, not seen before, in id order; of them, as many as there is room
#: for join the result. Once the limit cuts a hop the frontier is emptied, so the hops
#: left find nothing, as the walk of :func:`graph.traversal.expand_neighbourhood` stops.
_HOP: Final = """
CALL (frontier, seen) {{
  UNWIND frontier AS f
  MATCH (f)-[r{types}]-(m:Entity)
  WHERE {condition}($labels IS NULL OR m.label IN $labels) AND NOT m IN seen
  WITH DISTINCT m ORDER BY m.id
  RETURN collect(m) AS new
}}
WITH c, found, cut, seen, new, $room - size(found) AS room
WITH c, found + new[..room] AS found, cut OR size(new) > room AS cut,
     CASE WHEN size(new) > room THEN [] ELSE new END AS frontier, seen + new AS seen
"""

_SUBGRAPH: Final = """
WITH [c] + found AS members, cut
CALL (members) {{
  UNWIND members AS a
  MATCH (a)-[r{types}]->(b:Entity) WHERE {condition}b IN members
  RETURN collect([type(r), a.id, b.id, r.key, properties(r)]) AS edges
}}
RETURN [n IN members | [n.id, n.label, properties(n)]] AS nodes, edges, cut
"""


@lru_cache(maxsize=128)
def neighbourhood_query(hops: int, types: tuple[RelType, ...] | None) -> str:
    """The whole of :meth:`graph.store.GraphStore.neighbourhood` as one statement: the
    breadth-first walk of ``hops`` hops from ``$center`` (one subquery a hop), then the
    nodes and the edges among them.

    ``types`` (``None``: all) are written into the statement, so that a hop expands only
    relationships of those types. Parameters: ``$center``; ``$room``, the limit less the
    center; ``$labels``, the label names a walk may enter (``NULL``: all).

    Returns no record when the center does not exist, else one: ``nodes`` (``[id, label,
    properties]``, in (hop, id) order), ``edges`` (``[type, source, target, key,
    properties]``, each once) and ``cut`` (whether the limit cut the walk).
    """
    pattern = "" if not types else ":" + "|".join(t.value for t in types)
    condition = "false AND " if types == () else ""  # no type: nothing to walk or return
    return ("MATCH (c:Entity {id: $center})\n"
            "WITH c, [c] AS frontier, [c] AS seen, [] AS found, false AS cut\n"
            + _HOP.format(types=pattern, condition=condition) * hops
            + _SUBGRAPH.format(types=pattern, condition=condition))


@lru_cache(maxsize=256)
def walk_query(hops: tuple[Hop, ...]) -> str:
    """The whole of :meth:`graph.store.GraphStore.walk` as one statement: the start nodes
    ``$ids`` that exist, each with the tree of ``hops`` from it as nested pattern
    comprehensions (one a hop, expanding only the hop's relationship type).

    Returns one record, ``found``: per start node ``[id, label, properties, walks]``, where
    ``walks`` holds per hop (in the order of ``hops``) the list of its edges as ``[key,
    edge properties, far id, far label, far properties, walks of the far node]`` (the far
    label and properties ``null`` where the hop does not read its ``nodes``).
    """
    names = iter(range(1_000_000))

    def walks(near: str, level: tuple[Hop, ...]) -> str:
        return "[" + ", ".join(expand(near, hop) for hop in level) + "]"

    def expand(near: str, hop: Hop) -> str:
        n = next(names)
        rel, far = f"r{n}", f"m{n}"
        arrow = (f"-[{rel}:{hop.type.value}]->" if hop.direction == "out"
                 else f"<-[{rel}:{hop.type.value}]-")
        node = f"{far}.label, properties({far})" if hop.nodes else "null, null"
        return (f"[({near}){arrow}({far}) | [{rel}.key, properties({rel}), {far}.id, "
                f"{node}, {walks(far, hop.then)}]]")

    return ("UNWIND $ids AS id\nMATCH (n:Entity {id: id})\n"
            f"RETURN collect([n.id, n.label, properties(n), {walks('n', hops)}]) AS found")
