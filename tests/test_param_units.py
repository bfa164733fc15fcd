"""A parameter's type messages, how a server reads its wire text back, how a client writes it, and
how a range describes itself (these texts reach users in SpecViolation and the report)."""

from __future__ import annotations

import pytest

from conformance.spec.model import MISSING, AudioInput, Param, Range, Source

SRC = Source("test", "doc")


def param(type_: str, location: str = "form", **kw: object) -> Param:
    return Param("p", location, type_, SRC, **kw)  # type: ignore[arg-type]


AUDIO = AudioInput(kind="file", data=b"x")  # type: ignore[call-arg]


@pytest.mark.parametrize("type_,good,bad,message", [
    ("string", "s", 1, "must be a string"),
    ("url", "https://x", 1, "must be a URL string"),
    ("url", AUDIO, None, "must be a URL string"),
    ("integer", 3, True, "must be an integer"),
    ("integer", -1, 1.5, "must be an integer"),
    ("number", 1.5, True, "must be a number"),
    ("number", 2, "2", "must be a number"),
    ("boolean", False, 0, "must be a boolean"),
    ("audio", AUDIO, b"x", "must be audio (a path, bytes, URL or base64 text)"),
    ("object", {"a": 1}, [1], "must be an object"),
])
def test_each_type_names_what_it_must_be(type_: str, good: object, bad: object, message: str) -> None:
    p = param(type_)
    assert p.type_error(good) is None
    assert p.type_error(bad) == message


@pytest.mark.parametrize("location", ["form", "query", "header", "path"])
def test_wire_text_is_read_back_into_its_type(location: str) -> None:
    assert param("boolean", location).decode("TRUE") is True and param("boolean", location).decode("on") is True
    assert param("boolean", location).decode("0") is False and param("boolean", location).decode("No") is False
    assert param("boolean", location).decode("maybe") == "maybe"  # left for the type check to report
    assert param("integer", location).decode("42") == 42 and param("integer", location).decode("4.2") == "4.2"
    assert param("number", location).decode("4.5") == 4.5 and param("number", location).decode("x") == "x"
    assert param("string", location, nullable=True).decode("") is None
    assert param("string", location).decode("") == ""
    assert param("integer", location).decode(None) is None and param("integer", location).decode(MISSING) is MISSING


def test_json_values_keep_their_types_and_numeric_booleans_are_read_where_documented() -> None:
    assert param("integer", "json").decode("42") == "42"  # JSON text is not re-typed
    flag = param("boolean", "json", numeric_bool=SRC)
    assert flag.decode(1) is True and flag.decode(0) is False and flag.decode(2) == 2 and flag.decode(True) is True
    assert param("boolean", "json").decode(1) == 1  # only where the provider documents it
    obj = param("object", "json", fields=(Param("n", "json", "integer", SRC), Param("b", "json", "boolean", SRC,
                                                                                    numeric_bool=SRC)))
    assert obj.decode({"n": 3, "b": 1, "other": 1}) == {"n": 3, "b": True, "other": 1}


def test_wire_text_is_written_as_servers_read_it() -> None:
    p = param("boolean")
    assert (p.encode(True), p.encode(False), p.encode(None), p.encode(3)) == ("true", "false", "", "3")
    assert param("integer", "json").encode(3) == 3 and param("boolean", "json").encode(None) is None


def test_a_range_describes_its_interval_with_open_and_closed_ends() -> None:
    assert Range(0, 1, SRC).describe_interval() == "[0, 1]"
    assert Range(0, 1, SRC, min_exclusive=True).describe_interval() == "(0, 1]"
    assert Range(0, 1, SRC, max_exclusive=True).describe_interval() == "[0, 1)"
    assert Range(None, 2.5, SRC).describe_interval() == "[-inf, 2.5]"
    assert Range(-1, None, SRC).describe_interval() == "[-1, inf]"
    assert Range(0, 1, SRC).describe() == "number in [0, 1]"
    assert Range(0, 1, SRC).check(float("nan")) == "must be a finite number in [0, 1]"
    assert Range(0, 1, SRC, max_exclusive=True).check(1) == "must be in [0, 1)"
    assert Range(0, 1, SRC).check(True) is None and Range(0, 1, SRC).check("1") is None  # the type check's job
