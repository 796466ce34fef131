"""The Neo4j driver, made one way for the whole product."""
from __future__ import annotations

from neo4j import Driver, GraphDatabase

from graph_schema.settings import Settings


def connect(settings: Settings) -> Driver:
    """A routing (`neo4j://`) driver: the same code talks to one server, a cluster or Aura."""
    return GraphDatabase.driver(
        settings.uri,
        auth=(settings.neo4j_user, settings.password()),
        max_connection_pool_size=50,
        connection_acquisition_timeout=30,
        # Schema-free queries on an empty graph raise "label does not exist" notices: noise.
        notifications_min_severity="OFF",
    )
