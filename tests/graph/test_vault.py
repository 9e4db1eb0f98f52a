"""The pieces of personal data at rest, without a store: envelopes, keys, blind index."""

from __future__ import annotations

import pytest

from graph.blind_index import exact_token, name_tokens, needle_tokens, normalise
from graph.data_keys import KeyRing
from graph.errors import PlaintextPersonalData, UndecryptableValue
from graph.field_cipher import FieldCipher
from graph.model import Label, Node
from graph.vault import PersonalDataVault
from loanwatch.errors import ConfigurationError

CIPHER = FieldCipher({1: b"k" * 32})


@pytest.mark.parametrize("value", ["张伟", 12500.5, 1250050, True, ""])
def test_values_keep_their_type_and_each_sealing_differs(value: object) -> None:
    sealed = CIPHER.seal("monthly_income", value)  # type: ignore[arg-type]
    assert CIPHER.open("monthly_income", sealed) == value
    assert type(CIPHER.open("monthly_income", sealed)) is type(value)
    assert CIPHER.seal("monthly_income", value) != sealed, "a fresh nonce every time"  # type: ignore[arg-type]


def test_a_changed_or_moved_ciphertext_does_not_open() -> None:
    sealed = CIPHER.seal("national_id", "330102197803150011")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    with pytest.raises(UndecryptableValue, match="'national_id' of node 'P1' does not decrypt"):
        CIPHER.open("national_id", flipped, where="node 'P1'")
    with pytest.raises(UndecryptableValue):
        CIPHER.open("name", sealed)  # bound to its property's name
    with pytest.raises(PlaintextPersonalData, match="'name' is stored in clear"):
        CIPHER.open("name", "Zhang Wei")


def test_tokens_are_sorted_versioned_and_found_by_any_piece() -> None:
    tokens = name_tokens("Zhang  WEI", b"h" * 32, 3)
    assert tokens == sorted(tokens) and all(t.startswith("3.") for t in tokens)
    assert len(tokens) == len(set(tokens))
    assert normalise(" Zhang  WEI ") == "zhang wei"
    for needle in ("z", "WE", "ng w", "zhang wei"):
        [wanted] = needle_tokens(needle, {3: b"h" * 32}).values()
        assert set(wanted) <= set(tokens), needle
    [other] = needle_tokens("li", {3: b"h" * 32}).values()
    assert not set(other) <= set(tokens)
    assert exact_token("national_id", "33010219780315001X", b"h" * 32, 1) == \
        exact_token("national_id", " 33010219780315001x", b"h" * 32, 1)


def test_companies_and_loans_pass_through_untouched() -> None:
    vault = PersonalDataVault.development()
    company = Node("C1", Label.COMPANY, {"name": "Huaxin", "capital": 5.0})
    sealed = vault.seal_node(company)
    assert sealed.props == company.props and sealed.search_text == "huaxin c1"
    assert sealed.name_tokens is None


def test_a_key_ring_names_what_is_wrong() -> None:
    with pytest.raises(ConfigurationError, match="no data key is configured"):
        KeyRing({}, {1: b"h"})
    with pytest.raises(ConfigurationError, match="version 2 has 5 bytes; AES-256 needs 32"):
        KeyRing({2: b"short"}, {1: b"h"})
    with pytest.raises(ConfigurationError, match="no hash key of version 1"):
        KeyRing({1: b"k" * 32}, {2: b"h"})
    ring = KeyRing({1: b"k" * 32, 4: b"n" * 32}, {1: b"h", 2: b"i"})
    assert (ring.data_version, ring.hash_version, ring.identifier_key) == (4, 2, b"h")
