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
