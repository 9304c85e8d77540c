"""The form's rules: the limits, the missing field, and what each framework hands in."""

from __future__ import annotations

import pytest

from core.busy import BadSeconds, parse_seconds
from core.content import MISSING_FIELD
from core.errors import ClientError
from core.form import FormRejected, check_form
from core.settings import Settings

LIMITS = Settings(max_form_fields=3, max_form_memory=4)


@pytest.mark.parametrize(
    ("fields", "value", "expected"),
    [
        (["abc"], "abc", "abc"),
        ([b"\xc3\xa9"], b"\xc3\xa9", "é"),  # Twisted hands in raw bytes
        ([b"\xff"], b"\xff", "\ufffd"),
        (["a", "b", "c"], "", ""),
        (["é", "ab"], "ab", "ab"),  # "é" is two bytes
        ([object(), "x"], "x", "x"),  # an uploaded file counts, unmeasured
    ],
)
def test_check_form_takes(fields: list[object], value: object, expected: str) -> None:
    assert check_form(fields, value, LIMITS) == expected


@pytest.mark.parametrize(
    ("fields", "value", "status", "detail"),
    [
        (["a", "b", "c", "d"], "a", 413, "The form has over 3 fields."),
        ([object()] * 4, None, 413, "The form has over 3 fields."),
        (["abcde"], "abcde", 413, "A field is over 4 bytes."),
        ([b"abcde"], b"abcde", 413, "A field is over 4 bytes."),
        (["ééé"], "x", 413, "A field is over 4 bytes."),  # six bytes in UTF-8
        (["x"], None, 400, MISSING_FIELD),
        (["x"], object(), 400, MISSING_FIELD),  # a file under the field's name
    ],
)
def test_check_form_refuses(
    fields: list[object], value: object, status: int, detail: str
) -> None:
    with pytest.raises(FormRejected) as refused:
        check_form(fields, value, LIMITS)
    assert (refused.value.status, refused.value.detail) == (status, detail)
    assert str(refused.value) == detail


def test_the_limits_come_before_the_field() -> None:
    with pytest.raises(FormRejected) as refused:
        check_form(["a", "b", "c", "d"], None, LIMITS)
    assert refused.value.status == 413


def test_bad_seconds_is_a_client_error() -> None:
    with pytest.raises(ClientError) as refused:
        parse_seconds("x", limit=2)
    assert isinstance(refused.value, BadSeconds)
    assert (refused.value.status, refused.value.detail) == (
        400,
        "seconds must be a number from 0 to 2",
    )
