"""A question named in one line: tags gone, maths kept whole (or bare), cut at a word."""

from course.lessons.plain import cut, plain


def test_plain_drops_tags_and_keeps_or_bares_the_maths():
    prompt = "<p>Which gate scales \\(c_{t-1}\\) in <kbd>Reset</kbd>, &amp; why?</p>"
    assert plain(prompt) == "Which gate scales \\(c_{t-1}\\) in Reset, & why?"
    assert plain(prompt, maths=False) == "Which gate scales c_{t-1} in Reset, & why?"


def test_cut_is_at_a_word_and_never_inside_maths():
    assert cut("short \\(x\\)", 80) == "short \\(x\\)"
    text = "In the GRU, what happens to a unit whose update gate \\(z_{t}\\) is one, always?"
    assert cut(text, 56) == "In the GRU, what happens to a unit whose update gate…"  # not in z_{t}
    assert cut(text, 60) == "In the GRU, what happens to a unit whose update gate \\(z_{t}\\)…"
    assert (
        cut(text, 70) == "In the GRU, what happens to a unit whose update gate \\(z_{t}\\) is one…"
    )
    assert cut(text, 74) == text  # 74 characters show: the delimiters do not
    assert len(cut("word " * 40, 30)) <= 30
