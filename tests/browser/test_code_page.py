"""In Chromium, the LSTM lesson's code panel shows the code of the current step: at the
forget gate its marked lines are f's, in JAX and, switched, in NumPy, with the value
beside f the arithmetic panel's own f; it follows a step, the scrubber and a jump to
the backward pass as that panel does; it is reachable by keyboard and scrolls inside
its box on a 390 px phone. Screenshots in light and dark, desktop and phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pagekit import ARTIFACTS, PageWatch
from playwright.sync_api import Browser, Locator, Page, expect

LESSON = "/lessons/lstm-cell"
LAB = "section.lab[data-lab='cell-walk']"
expect.set_options(timeout=30_000)  # the machine may be busy: wait on states, generously
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def open_lab(page: Page) -> Locator:
    page.set_default_timeout(60_000)
    page.goto(LESSON, timeout=120_000)
    lab = page.locator(LAB)
    expect(lab.locator("[data-readout=status]")).to_have_text("Ready", timeout=120_000)
    return lab


def step_to(lab: Locator, step: str) -> None:
    lab.locator("[data-action=step]").click()
    expect(lab).to_have_attribute("data-step", step)


def current(lab: Locator) -> list[str]:
    """The marked lines' code, without the value notes."""
    return lab.locator("[data-code-lines] .code-line.current").evaluate_all(
        """els => els.map(el => [...el.childNodes]
             .filter(n => !(n.classList && n.classList.contains("code-note")))
             .map(n => n.textContent).join("").trim())"""
    )


def note(lab: Locator, code: str) -> str:
    line = lab.locator("[data-code-lines] .code-line.current", has_text=code).first
    return line.locator(".code-note").inner_text().strip()


@pytest.fixture(params=[(size, scheme) for size in SIZES for scheme in ("light", "dark")])
def sized(request: pytest.FixtureRequest, browser: Browser, server: str) -> Iterator[Page]:
    size, scheme = request.param
    phone = size == "phone"
    context = browser.new_context(viewport=SIZES[size], base_url=server,  # type: ignore[arg-type]
                                  device_scale_factor=2 if phone else 1, is_mobile=phone,
                                  has_touch=phone, color_scheme=scheme)  # fmt: skip
    page = context.new_page()
    watch = PageWatch(page, server)
    page.shot = f"{size}-{scheme}"  # type: ignore[attr-defined]
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_the_panel_shows_the_current_lines_and_values(sized: Page) -> None:
    page = sized
    lab = open_lab(page)
    panel = lab.locator("[data-code]")
    lab.locator("[data-control=granularity]").select_option("timestep")
    lab.locator("[data-action=step]").click()
    expect(lab.locator("[data-readout=t]")).to_have_text("1 of 15")
    lab.locator("[data-control=granularity]").select_option("compute")
    step_to(lab, "x")
    step_to(lab, "f")
    expect(panel.locator("[data-code-heading]")).to_contain_text("Layer 1 at t = 2, unit 0")
    assert current(lab) == [
        "pre_f = W_x[H:2*H] @ x + W_h[H:2*H] @ h_prev + b[H:2*H]",
        "f = jax.nn.sigmoid(pre_f)",
    ]
    # Beside f: the arithmetic panel's own f, the same text.
    f_text = lab.locator("[data-arith-rows] li[data-name=f] [data-term=value]").inner_text()
    assert note(lab, "f = jax") == f"# f[0] = {f_text}"
    pre_text = lab.locator("[data-arith-rows] li[data-name=f] [data-term=pre]").inner_text()
    assert note(lab, "pre_f =") == f"# pre_f[0] = {pre_text.strip('()')}"
    # The loops say where the stepper is.
    expect(panel.locator(".code-line").first).to_contain_text("t = 1: time step 2 of 15")
    panel.screenshot(path=str(ARTIFACTS / f"code-{page.shot}.png"))  # type: ignore[attr-defined]
    lab.locator(".view-cell").screenshot(path=str(ARTIFACTS / f"code-cell-{page.shot}.png"))  # type: ignore[attr-defined]

    # NumPy at the switch, kept on the next step.
    panel.get_by_role("button", name="NumPy").click()
    expect(panel.get_by_role("button", name="NumPy")).to_have_attribute("aria-pressed", "true")
    expect(panel.get_by_role("button", name="JAX")).to_have_attribute("aria-pressed", "false")
    assert current(lab)[1] == "f = 1 / (1 + np.exp(-pre_f))"
    step_to(lab, "i")
    assert current(lab) == ["pre_i = W_x[:H] @ x + W_h[:H] @ h_prev + b[:H]",
                            "i = 1 / (1 + np.exp(-pre_i))"]  # fmt: skip
    i_text = lab.locator("[data-arith-rows] li[data-name=i] [data-term=value]").inner_text()
    assert note(lab, "i = 1") == f"# i[0] = {i_text}"

    # The box scrolls inside on a phone: the page does not get wider.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES["phone" if "phone" in page.shot else "desktop"]["width"]  # type: ignore[attr-defined]
    box = panel.locator("[data-code-lines]")
    assert box.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    if "phone" in page.shot:  # type: ignore[attr-defined]
        assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    page.evaluate("localStorage.removeItem('unrolled.code-flavour')")


@pytest.mark.browser
def test_the_panel_follows_the_scrubber_and_a_jump_to_backward(page: Page) -> None:
    lab = open_lab(page)
    panel = lab.locator("[data-code]")
    lab.get_by_label("Time step: drag to any t of the window").fill("9")
    expect(lab.locator("[data-readout=t]")).to_have_text("9 of 15")
    expect(panel.locator(".code-line").first).to_contain_text("t = 8: time step 9 of 15")
    lab.get_by_label("Jump to phase").select_option("backward")
    expect(lab.locator("[data-readout=phase]")).to_have_text("backward")
    expect(panel.locator(".code-line").first).to_contain_text("for t in reversed(range(T)):")
    assert current(lab)[-1] == "dh = W_y[0] * dy[t] + from_next[l]"  # the top layer
    dh_text = lab.locator("[data-arith-rows] li[data-name=dh] [data-term=value]").inner_text()
    assert note(lab, "dh =") == f"# dh[0] = {dh_text}"
    step_to(lab, "dc")
    assert current(lab) == ["dc = dc_next[l] + dh * o * (1 - jnp.tanh(c) ** 2)"]
    lab.get_by_label("Jump to phase").select_option("validate")
    expect(lab.locator("[data-readout=phase]")).to_have_text("validate")
    assert current(lab)[1] == "L = jnp.mean(e ** 2)"
    panel.screenshot(path=str(ARTIFACTS / "code-validate.png"))
    # By keyboard: the box takes focus (it scrolls with the arrow keys) and is named.
    box = panel.locator("[data-code-lines]")
    box.focus()
    expect(box).to_be_focused()
    expect(box).to_have_attribute(
        "aria-label",
        "Code: the marked lines compute the current step; after each #, the chosen unit's value",
    )
    panel.get_by_text("Before the loops", exact=True).click()
    expect(panel.locator("[data-code-setup]")).to_contain_text(
        "hs = [jnp.zeros(H) for _ in range(L)]"
    )
