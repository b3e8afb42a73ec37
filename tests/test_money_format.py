"""Small display rules found by looking at the demo site as a manager would."""

from pipelines.formatting import Fmt


def test_negative_money_puts_the_sign_before_the_currency():
    """-957,600 reads "-$957.6k" (it read "$-957.6k" in the forecast movement tables); -0.4 rounds to "$0"."""
    fmt = Fmt()
    assert fmt.money(-957_600) == "-$957.6k"
    assert fmt.money(-1_250_000) == "-$1.2M"
    assert fmt.money(-50) == "-$50"
    assert fmt.money(-0.4) == "$0"
    assert fmt.money(22_500) == "$22.5k"


def test_an_amount_that_rounds_up_to_the_next_unit_is_shown_in_it():
    """$999.6 would read "$1,000" and $999,960 "$1,000.0k": each is shown in the next unit up instead."""
    fmt = Fmt()
    assert [fmt.money(v) for v in (999.4, 999.6, 999_940, 999_960, 999_940_000, 999_960_000, -999_960)] == [
        "$999", "$1.0k", "$999.9k", "$1.0M", "$999.9M", "$1.0B", "-$1.0M"]


def test_an_amount_that_is_not_a_number_is_no_data():
    """NaN or infinity (no mart should hold one) is no data, not "$nanB" or a failed build."""
    assert Fmt().money(float("nan")) is None and Fmt().money(float("inf")) is None
