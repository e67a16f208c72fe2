"""Reading a learner's own series (course.lab.owndata): the formats it takes, how it
scales them, and every refusal, each naming the problem and the line."""

from __future__ import annotations

import pytest

from course.lab import owndata
from course.web.validation import PayloadError
from engine.series import MAX_POINTS

WINDOW = 15


def lines(values) -> str:
    return "\n".join(str(v) for v in values)


def refusal(text: str, **options) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        owndata.parse(text, window=WINDOW, scale=options.pop("scale", True), **options)
    assert caught.value.field == "data"
    return caught.value


def test_one_column_of_numbers_with_or_without_a_name():
    plain = owndata.parse(lines(range(20)), window=WINDOW, scale=True)
    assert plain.values == tuple(float(v) for v in range(20))
    assert plain.positions is None and plain.column == ""
    named = owndata.parse("price\n" + lines(range(20)) + "\n\n", window=WINDOW, scale=True)
    assert named.values == plain.values and named.column == "price"


def test_two_columns_under_a_header_give_positions_and_values():
    text = "year;rain\r\n" + "\r\n".join(f"{1990 + k};{k * 0.5}" for k in range(20))
    series = owndata.parse(text, window=WINDOW, scale=True, name="rain.csv")
    assert series.positions == tuple(float(1990 + k) for k in range(20))
    assert series.values == tuple(k * 0.5 for k in range(20))
    assert (series.axis, series.column, series.name) == ("year", "rain", "rain.csv")


def test_scaling_maps_the_smallest_to_minus_one_and_the_largest_to_one():
    series = owndata.parse(lines([3, 5, 7, 11] * 5), window=WINDOW, scale=True)
    read = series.read()
    assert read.min() == -1.0 and read.max() == 1.0
    assert read[1] == pytest.approx(2 * (5 - 3) / (11 - 3) - 1)
    note = owndata.describe(series)
    assert "scaled into [−1, 1]" in note and "2·(x − 3) / (11 − 3) − 1" in note
    unscaled = owndata.parse(lines([0.1, -0.5, 1.5] * 7), window=WINDOW, scale=False)
    assert list(unscaled.read()[:3]) == pytest.approx([0.1, -0.5, 1.5])
    assert "read as they are" in owndata.describe(unscaled)


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("", "empty", "no data"),
        ("\n  \n", "empty", "no data"),
        ("value\n", "empty", "no numbers under the header on line 1"),
        (lines(range(10)) + "\nabc\n" + lines(range(10)), "not_a_number", "Line 11: 'abc'"),
        (lines(range(10)) + "\n1_000\n" + lines(range(10)), "not_a_number", "Line 11"),
        (lines(range(5)) + "\nnan\n" + lines(range(20)), "not_finite", "Line 6: 'nan'"),
        (lines(range(5)) + "\n-inf\n" + lines(range(20)), "not_finite", "Line 6: '-inf'"),
        (lines(range(5)) + "\n1e12\n" + lines(range(20)), "out_of_range", "Line 6"),
        (lines(range(WINDOW)), "too_short", "15 points are too few"),
        ("a,b,c\n" + "\n".join("1,2,3" for _ in range(20)), "too_many_columns", "Line 1 has 3"),
        ("\n".join(f"{k},{k}" for k in range(20)), "no_header", "header line"),
        ("t,v\n" + "\n".join(f"{k},{k}" for k in range(10)) + "\n11\n", "ragged", "Line 12 has 1"),
        ("t,v\n1,1\n" + "\n".join(f"{k},{k}" for k in range(20)), "not_increasing", "Line 3"),
        (lines([4] * 20), "constant", "Every value is 4"),
        ("t,v\n" + "\n".join(f"{k}," for k in range(20)), "not_a_number", "Line 2 has an empty"),
    ],
)
def test_each_problem_is_refused_naming_it(text, code, words):
    error = refusal(text)
    assert error.code == code
    assert words in error.message, error.message


def test_too_long_and_too_large_are_refused_before_reading_every_line():
    assert refusal(lines([1, 2] * (MAX_POINTS // 2 + 1))).code == "too_long"
    huge = lines([1.123456789] * 30_000)
    error = refusal(huge)
    assert error.code == "too_large" and "256 KB" in error.message


def test_unscaled_values_must_fit_the_views():
    error = refusal(lines(range(20)), scale=False)
    assert error.code == "unscaled_range" and "19" in error.message


def test_a_file_that_is_not_text_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(PayloadError) as caught:
        owndata.decode(png, "chart.png")
    assert caught.value.code == "not_text" and "chart.png" in caught.value.message
    with pytest.raises(PayloadError) as caught:
        owndata.decode(b"1\n2\n\x00\x01\n", "odd.csv")
    assert caught.value.code == "not_text" and "line 3" in caught.value.message
    with pytest.raises(PayloadError) as caught:
        owndata.decode(b"1\n" * (owndata.MAX_BYTES // 2 + 1), "big.csv")
    assert caught.value.code == "too_large"
    assert owndata.decode("\ufeffvalue\n1\n".encode(), "bom.csv") == "value\n1\n"
