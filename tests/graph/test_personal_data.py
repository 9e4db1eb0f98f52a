"""The personal-data registry: which properties are personal and how each is masked."""

from __future__ import annotations

import pytest

from graph.model import Label
from graph.personal_data import (
    PERSONAL_PROPERTIES,
    Masking,
    is_personal,
    mask_value,
    masked_props,
    personal_property,
)

P, PHONE, ADDRESS, DEVICE = Label.PERSON, Label.PHONE, Label.ADDRESS, Label.DEVICE


@pytest.mark.parametrize(("label", "name", "value", "shown"), [
    (P, "national_id", "330102197803150011", "330***********0011"),
    (P, "national_id", "1234567", "*******"),  # too short to show 7 of: all starred
    (P, "name", "Zhang Wei", "Zhang *"),
    (P, "name", "Ouyang  Xiu Ming", "Ouyang *"),
    (P, "name", "张伟", "张*"),
    (P, "birth_date", "1978-03-15", "1978"),
    (P, "birth_date", "15/03/1978", None),  # not a year first: nothing rather than too much
    (P, "gender", "F", None),
    (P, "monthly_income", 12500.5, None),
    (PHONE, "value", "+8613800138000", "**********8000"),
    (PHONE, "value", "110", "***"),
    (ADDRESS, "value", "12 wenyi road, xihu district, hangzhou", "***, hangzhou"),
    (ADDRESS, "value", "12 wenyi road", None),  # no city part to keep
    (DEVICE, "value", "imei 3569 8704", None),
    # Not personal: shown as stored.
    (P, "occupation", "teacher", "teacher"),
    (P, "city", "Hangzhou", "Hangzhou"),
    (Label.COMPANY, "name", "Hangzhou Silk Trading Co., Ltd.", "Hangzhou Silk Trading Co., Ltd."),
    (Label.LOAN, "principal", 5_000_000.0, 5_000_000.0),
])
def test_each_value_is_masked_by_its_rule(label: Label, name: str, value: object,
                                          shown: object) -> None:
    assert mask_value(label, name, value) == shown  # type: ignore[arg-type]


def test_masked_props_keep_what_is_not_personal_and_leave_out_what_is_withheld() -> None:
    props = {"name": "Li Na", "national_id": "330106199005220024", "birth_date": "1990-05-22",
             "gender": "F", "monthly_income": 12500.0, "city": "Hangzhou", "vip": True}
    assert masked_props(P, props) == {"name": "Li *", "national_id": "330***********0024",
                                      "birth_date": "1990", "city": "Hangzhou", "vip": True}
    assert masked_props(Label.COMPANY, {"name": "Silk Co"}) == {"name": "Silk Co"}
    assert masked_props(None, {"amount": 1.0, "name": "x"}) == {"amount": 1.0, "name": "x"}


def test_the_registry_names_each_personal_property_once_with_its_rule() -> None:
    assert {(p.label, p.name): p.masking for p in PERSONAL_PROPERTIES} == {
        (P, "name"): Masking.FAMILY_NAME,
        (P, "national_id"): Masking.KEEP_FIRST_3_LAST_4,
        (P, "birth_date"): Masking.YEAR_ONLY,
        (P, "gender"): Masking.WITHHELD,
        (P, "monthly_income"): Masking.WITHHELD,
        (P, "loss_buffer"): Masking.WITHHELD,
        (PHONE, "value"): Masking.KEEP_LAST_4,
        (ADDRESS, "value"): Masking.CITY_ONLY,
        (DEVICE, "value"): Masking.WITHHELD,
        (P, "email"): Masking.KEEP_LAST_4,
    }
    assert is_personal(P, "name") and not is_personal(Label.COMPANY, "name")
    assert personal_property(PHONE, "value").what == "a phone number"  # type: ignore[union-attr]
    assert personal_property(Label.ACCOUNT, "bank") is None
    # A person's assessed capacity is withheld with all its exact parts; a company's is not
    # personal.
    assert masked_props(P, {"loss_buffer": 1.0, "loss_buffer_minor": 100,
                            "loss_buffer_currency": "CNY", "city": "Ningbo"}) == {
        "city": "Ningbo"}
    assert not is_personal(Label.COMPANY, "loss_buffer_minor")


def test_a_masked_value_never_contains_the_hidden_part() -> None:
    for entry in PERSONAL_PROPERTIES:
        secret = "1234567890123456"
        shown = mask_value(entry.label, entry.name, secret)
        assert shown != secret
        assert shown is None or "56789012" not in str(shown)


def test_the_exact_parts_of_a_personal_amount_are_as_personal_as_the_amount() -> None:
    # Amounts are stored as x (float), x_minor and x_currency (docs/data-model.md, Money).
    person = {"monthly_income": 12500.0, "monthly_income_minor": 1250000,
              "monthly_income_currency": "CNY", "occupation": "engineer"}
    assert masked_props(Label.PERSON, person) == {"occupation": "engineer"}
    company = {"registered_capital": 5e6, "registered_capital_minor": 500000000,
               "registered_capital_currency": "CNY"}
    assert masked_props(Label.COMPANY, company) == company
