"""Personal data at rest: what a graph store writes for a node, and how it reads it back.

Both graph stores hand every node through a :class:`PersonalDataVault` on the way in and
out, so their callers keep seeing plaintext while the store (SQL rows, Neo4j properties)
holds only ciphertext:

* every personal property of :mod:`graph.personal_data` is sealed with AES-256-GCM
  (:mod:`graph.field_cipher`) under the current data key;
* a person's name is replaced, in what search sees, by blind-index tokens
  (:mod:`graph.blind_index`), and the national id by an exact-match token; the store keeps
  them beside the node (``name_tokens``, ``exact_tokens``) and searches on them;
* a read opens every sealed value, under whichever configured key version sealed it, and
  refuses (with the command that fixes it) a personal value found in clear.

Company names, ids and every non-personal property stay in clear: they are not personal
data, and analytics and search need them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from graph.blind_index import exact_token, name_tokens, needle_tokens, normalise
from graph.data_keys import KeyRing
from graph.field_cipher import FieldCipher, envelope_version, is_sealed
from graph.model import Label, Node, PropertyValue
from graph.personal_data import PERSONAL_PROPERTIES, is_personal

__all__ = [
    "DEVELOPMENT_DATA_KEY",
    "DEVELOPMENT_HASH_KEY",
    "PersonalDataVault",
    "SealedNode",
    "SearchPlan",
]

#: Outside production, when no key is configured. Public: it protects nothing; it only
#: keeps development and test data in the same shape as production's.
DEVELOPMENT_DATA_KEY: Final = b"loanwatch-dev-data-key-NOT-SECRET"[:32]
#: Must equal ``loanwatch.settings.DEVELOPMENT_IDENTIFIER_KEY`` (a test checks it).
DEVELOPMENT_HASH_KEY: Final = b"loanwatch-development-identifier-key-not-secret"

#: Labels that carry personal properties; nodes of other labels pass through untouched.
PERSONAL_LABELS: Final = frozenset(entry.label for entry in PERSONAL_PROPERTIES)
#: Properties indexed for exact-match search, per label.
EXACT_INDEXED: Final[dict[Label, tuple[str, ...]]] = {Label.PERSON: ("national_id",)}
#: Properties whose n-grams are indexed for substring search, per label.
NAME_INDEXED: Final[dict[Label, str]] = {Label.PERSON: "name"}


@dataclass(frozen=True, slots=True)
class SealedNode:
    """What a store writes for one node: its sealed properties and its search columns.

    ``name`` is what the store's name column/property holds (sealed for a person);
    ``name_tokens`` and ``exact_tokens`` are ``None`` when the node gives no value to index
    (the stored tokens are then kept), else space-delimited token lists.
    """

    id: str
    label: Label
    props: dict[str, PropertyValue]
    name: str | None
    search_text: str
    name_tokens: str | None
    exact_tokens: str | None


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What a party search looks for: the needle, the name tokens a match must all hold
    (per hash key version: any one version's set will do), and the exact-match tokens."""

    needle: str
    name_tokens: dict[int, list[str]]
    exact_tokens: list[str]

    def name_patterns(self) -> list[list[str]]:
        """Per version, the delimited tokens to find in ``name_tokens`` (`` t ``)."""
        return [[f" {token} " for token in tokens] for tokens in self.name_tokens.values()]

    def exact_patterns(self) -> list[str]:
        return [f" {token} " for token in self.exact_tokens]


def _delimited(tokens: list[str]) -> str:
    return " " + " ".join(tokens) + " "


class PersonalDataVault:
    """Seals and opens the personal properties of nodes with the keys of ``keys``."""

    def __init__(self, keys: KeyRing) -> None:
        self.keys = keys
        self._cipher = FieldCipher(keys.data_keys)
        self._hash_version = keys.hash_version
        self._hash_key = keys.hash_keys[self._hash_version]

    @classmethod
    def development(cls) -> PersonalDataVault:
        """The vault of the public development keys (tests, demos; never real persons)."""
        return cls(KeyRing({1: DEVELOPMENT_DATA_KEY}, {1: DEVELOPMENT_HASH_KEY}))

    @property
    def data_version(self) -> int:
        return self._cipher.version

    @property
    def hash_version(self) -> int:
        return self._hash_version

    # -- writing ---------------------------------------------------------------------------

    def seal_node(self, node: Node) -> SealedNode:
        """The sealed form of ``node`` (values already sealed are kept as they are)."""
        label = node.label
        if label not in PERSONAL_LABELS:
            return SealedNode(node.id, label, node.props, node.name, node.search_text,
                              None, None)
        seal = self._cipher.seal
        props = {name: value if not is_personal(label, name) or is_sealed(value)
                 else seal(name, value) for name, value in node.props.items()}
        return self._indexed(node.id, label, node.props, props)

    def _indexed(self, node_id: str, label: Label, plain: Mapping[str, PropertyValue],
                 sealed: dict[str, PropertyValue]) -> SealedNode:
        name_property = NAME_INDEXED.get(label)
        names = None
        if name_property is not None and isinstance(plain.get(name_property), str):
            names = _delimited(name_tokens(str(plain[name_property]), self._hash_key,
                                           self._hash_version))
        exact = [exact_token(name, str(plain[name]), self._hash_key, self._hash_version)
                 for name in EXACT_INDEXED.get(label, ()) if plain.get(name) is not None]
        stored_name = sealed.get("name")
        search_text = (node_id.lower() if label is Label.PERSON
                       else f"{'' if stored_name is None else stored_name} {node_id}".lower())
        return SealedNode(node_id, label, sealed,
                          None if stored_name is None else str(stored_name), search_text,
                          names, _delimited(exact) if exact else None)

    def reseal(self, node_id: str, label: Label,
               stored: Mapping[str, PropertyValue]) -> SealedNode | None:
        """``stored`` (a node's properties as the store holds them) sealed under the current
        keys, with its tokens; ``None`` when it is current already.

        Values found in clear are sealed too: this is how a store written before encryption
        at rest is upgraded.

        Args:
            stored: the stored properties, with the store's ``name_tokens`` and
                ``exact_tokens`` under those names when it has them.
        """
        if label not in PERSONAL_LABELS or self.is_current(label, stored):
            return None
        plain = {name: value for name, value in stored.items()
                 if name not in ("name_tokens", "exact_tokens")}
        for name, value in plain.items():
            if is_personal(label, name) and is_sealed(value):
                plain[name] = self._cipher.open(name, value, where=f"node {node_id!r}")
        sealed = {name: value if not is_personal(label, name)
                  else self._cipher.seal(name, value) for name, value in plain.items()}
        return self._indexed(node_id, label, plain, sealed)

    def is_current(self, label: Label, stored: Mapping[str, PropertyValue]) -> bool:
        """Whether every personal value of ``stored`` is sealed under the current data key
        and its tokens are under the current hash key."""
        prefix = f"{self._hash_version}."
        for name, value in stored.items():
            if name in ("name_tokens", "exact_tokens"):
                if value is not None and any(not token.startswith(prefix)
                                             for token in str(value).split()):
                    return False
            elif is_personal(label, name) and (
                    not is_sealed(value) or envelope_version(str(value)) != self.data_version):
                return False
        # A name or national id whose tokens are missing (written in clear) is stale too.
        return all(stored.get(field) is None or stored.get(column) is not None
                   for field, column in (
                       (NAME_INDEXED.get(label), "name_tokens"),
                       *((name, "exact_tokens") for name in EXACT_INDEXED.get(label, ()))))

    # -- reading ---------------------------------------------------------------------------

    def open_props(self, node_id: str, label: Label,
                   stored: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
        """``stored`` with every personal property opened.

        Raises:
            PlaintextPersonalData: a personal value is stored in clear.
            UnknownDataKey, UndecryptableValue: a key is missing or wrong.
        """
        if label not in PERSONAL_LABELS:
            return stored
        opened = self._cipher.open
        return {name: opened(name, value, where=f"node {node_id!r}")
                if is_personal(label, name) else value for name, value in stored.items()}

    def open_node(self, node_id: str, label: Label, stored: dict[str, PropertyValue]) -> Node:
        return Node(node_id, label, self.open_props(node_id, label, stored))

    def open_loose(self, name: str, value: object) -> object:
        """``value`` of property ``name`` opened if it is sealed, else as it is (whole-graph
        reads that do not know each node's label: :meth:`GraphStore.iter_edges`)."""
        return self._cipher.open(name, value) if is_sealed(value) else value

    # -- text fields of SQL records ------------------------------------------------------

    def seal_text(self, field: str, text: str) -> str:
        """``text`` of the SQL field ``field`` (``rejected_row.raw``, ``contact_note.text``,
        ``oauth_signing_key.private_pem``) sealed; an empty text stays empty (nothing to
        hide, and a purge blanks it)."""
        return self._cipher.seal(field, text) if text else text

    def open_text(self, field: str, value: str, *, where: str = "",
                  clear_ok: bool = False) -> str:
        """The text a sealed ``value`` of the SQL field ``field`` holds ("" stays "").

        Args:
            where: names the value in errors (``contact_note row 7``).
            clear_ok: a ``value`` stored in clear (a row written before its field was
                sealed, which ``loanwatch migrate`` seals) is returned as it is instead of
                refused.

        Raises:
            PlaintextPersonalData: ``value`` is in clear and ``clear_ok`` is false.
            UnknownDataKey, UndecryptableValue: see
                :meth:`graph.field_cipher.FieldCipher.open`.
        """
        if not value or (clear_ok and not is_sealed(value)):
            return value
        return str(self._cipher.open(field, value, where=where))

    def reseal_text(self, field: str, value: str, *, where: str = "") -> str | None:
        """``value`` sealed under the current data key (opened first if sealed under an
        older one, sealed as it is if in clear); ``None`` when it is current already.

        Args:
            where: names the value in errors (``contact_note row 7``).
        """
        if not value or (is_sealed(value) and envelope_version(value) == self.data_version):
            return None
        plain = self.open_text(field, value, where=where) if is_sealed(value) else value
        return self.seal_text(field, plain)

    # -- searching -------------------------------------------------------------------------

    def search_plan(self, needle: str) -> SearchPlan:
        """The tokens that find ``needle`` in names and national ids, under every
        configured hash key version."""
        keys = self.keys.hash_keys
        exact = [exact_token(name, needle, key, version)
                 for version, key in keys.items()
                 for names in EXACT_INDEXED.values() for name in names]
        return SearchPlan(needle, needle_tokens(needle, keys), exact)

    def search_hit(self, plan: SearchPlan, node_id: str, label: Label, stored_name: object,
                   exact_tokens: object) -> tuple[bool, str | None]:
        """Whether a candidate of a token search really matches ``plan``, and its name in
        clear (for ordering). Decrypting the name removes n-gram coincidences."""
        if label is not Label.PERSON:
            name = None if stored_name is None else str(stored_name)
            return True, name
        name = (None if stored_name is None
                else str(self._cipher.open("name", stored_name, where=f"node {node_id!r}")))
        needle = plan.needle
        if needle in node_id.lower() or (name is not None and normalise(needle)
                                         in normalise(name)):
            return True, name
        held = set(str(exact_tokens or "").split())
        return any(token in held for token in plan.exact_tokens), name
