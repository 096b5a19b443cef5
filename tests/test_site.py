"""`make site`: the quick site, built from the lessons the other tests executed, opened in a real headless browser.

The lesson tests (tests/test_lessonNN.py, which run before this file) leave each executed notebook and its
metrics.json in the session's folder (tests/conftest.py, tests/notebook.py); a lesson missing there (this file
run on its own) is executed here, quick. The browser is Debian's chromium, driven by Playwright (.ci/run installs
it; CI fails without it, elsewhere the browser tests skip). Screenshots go to the test's folder and to
/tmp/site_shots/.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from course_utils import site
from tests.conftest import data_required
from tests.notebook import execute_lesson, executed_metrics

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path("/tmp/site_shots")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
LESSONS = site.lessons()


def key_numbers(lesson: str, m: dict) -> list[str]:
    """The lesson's key result as the page prints it, from the run's metrics.json."""
    if lesson.startswith("lesson01"):
        return [f"{m['keras_dev_loss']:.3f}", f"{m['numpy_dev_loss']:.3f}"]  # dev loss, nats per character
    if lesson.startswith("lesson02"):
        return [f"{m['memory_task']['results'][cell]['val_mse']:.4f}" for cell in ("lstm", "gru")]
    if lesson.startswith(("lesson03", "lesson04")):
        return [f"{m['test_accuracy']:.4f}"]
    if lesson.startswith("lesson05"):  # the attention model's test BLEU and score, beam search
        return [f"{m['bleu_attention_beam']:.1f}", f"{m['score_attention_beam']:.3f}"]
    if lesson.startswith("lesson06"):
        return [" ".join(f"{m[f'bleu{n}']:.3f}" for n in range(1, 5))]  # the beam row of the BLEU table
    if lesson.startswith("lesson07"):
        return [f"{m['val_loss_nats']:.4f}"]
    if lesson.startswith("lesson08"):  # the day-ahead error of the GRU, and the published model's trap
        return [f"{m['rnn_mae_24h']:.1f}", f"{m['published_persistence_rmse']:.3f}"]
    if lesson.startswith("lesson09"):  # the minGRU's validation loss, in the table of published results
        return [f"{m['mingru_val_loss_fresh_256']:.4f}"]
    raise AssertionError(f"no key metric named for {lesson}")


def need(what: str) -> None:
    """Fail on CI (COURSE_REQUIRE_DATA=1), skip elsewhere."""
    if data_required():
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def executed(real_data, executed_notebooks, tmp_path_factory) -> Path:
    """The session's executed notebooks, with any lesson missing there executed now (quick)."""
    for lesson in LESSONS:
        failed = executed_notebooks / f"{lesson}.failed"
        if failed.exists():
            pytest.fail(f"{lesson} failed in its own test, so the site cannot be built:\n{failed.read_text()[-2000:]}")
        if not (executed_notebooks / f"{lesson}.ipynb").is_file():
            execute_lesson(lesson, tmp_path_factory.mktemp(lesson))
    return executed_notebooks


@pytest.fixture(scope="module")
def built(executed, tmp_path_factory) -> Path:
    for module in ("mkdocs", "material", "mkdocs_jupyter"):
        try:
            __import__(module)
        except ImportError:
            need(f"{module} is not installed (make test installs requirements-site.txt)")
    folder = tmp_path_factory.mktemp("site")
    return site.build(notebooks=executed, out=folder / "site", work=folder / "site-src")


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name in ("href", "src") or (tag == "link" and name == "href")):
                self.targets.append(value)


def internal_targets(html_file: Path) -> list[str]:
    parser = Links()
    parser.feed(html_file.read_text(encoding="utf-8"))
    return [t for t in parser.targets if not re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", t)]


@pytest.fixture(scope="module")
def server(built):
    """The built site over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(QuietHandler, directory=str(built))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        need(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need("playwright is not installed (make test installs requirements-site.txt)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    """A page that lets requests reach the site only; any other address is refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.outside = []
    tab.errors = []

    def route(r):
        if r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            tab.outside.append(r.request.url)
            r.abort()

    tab.route("**/*", route)
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    yield tab
    context.close()


def shoot(tab, tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    tab.screenshot(path=str(target))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(target, SHOTS / name)


def visible_text(tab) -> str:
    return re.sub(r"\s+", " ", tab.inner_text("body"))


def test_the_home_page_shows_the_lessons_and_the_results(page, server, tmp_path):
    page.goto(f"{server}/index.html", wait_until="load")
    text = visible_text(page)
    assert "Recurrent neural networks" in page.title()
    assert "| lesson |" not in text, "the lessons table is rendered as a table"
    headers = page.eval_on_selector_all("table th", "cells => cells.map(c => c.innerText.trim())")
    assert "lesson" in headers and "test accuracy" in headers, "the table of lessons and lesson 03's results"
    hrefs = page.eval_on_selector_all("article a", "links => links.map(a => a.getAttribute('href'))")
    for lesson in LESSONS:
        assert site.page(lesson) in hrefs, f"the home page links to {lesson}"
    shoot(page, tmp_path, "home.png")
    page.locator("table", has=page.locator("th", has_text="test accuracy")).first.scroll_into_view_if_needed()
    shoot(page, tmp_path, "home_results.png")
    assert not page.outside, f"the page asked the network for {page.outside}"
    assert not page.errors, page.errors


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_lesson_page_shows_its_figures_its_results_and_its_links(lesson, page, server, executed, tmp_path):
    page.goto(f"{server}/{site.page(lesson)}", wait_until="load")
    figures = page.eval_on_selector_all(
        ".jp-OutputArea img, .output_area img, .jp-RenderedImage img",
        "images => images.map(i => [i.complete, i.naturalWidth, i.naturalHeight])",
    )
    drawn = [f for f in figures if f[0] and f[1] > 0 and f[2] > 0]
    assert drawn, f"{lesson}: no figure rendered ({len(figures)} <img> in the outputs)"
    text = visible_text(page)
    metrics = executed_metrics(executed, lesson)  # of the run the lesson's own test made (or this file's)
    assert metrics, f"no metrics.json was kept for {lesson} in {executed}"
    for number in key_numbers(lesson, metrics):
        assert number in text, f"{lesson}: its result {number} (metrics.json) is not on the page"
    assert "Traceback" not in text and "Error" not in page.title()
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert f"{lesson}_exercises.html" in hrefs, "a link to the lesson's exercises"
    i = LESSONS.index(lesson)
    for neighbour in LESSONS[max(i - 1, 0) : i + 2]:
        assert neighbour == lesson or site.page(neighbour) in hrefs, f"{lesson} links to {neighbour}"
    if lesson.startswith(("lesson03", "lesson07")):  # the top, and a figure (lesson 07's: its last, a neuron)
        shoot(page, tmp_path, f"{lesson}.png")
        figures = page.locator(".jp-OutputArea img, .output_area img")
        figure = figures.first if lesson.startswith("lesson03") else figures.last
        figure.scroll_into_view_if_needed()
        shoot(page, tmp_path, f"{lesson}_figure.png")
    assert not page.outside, f"the page asked the network for {page.outside}"
    assert not page.errors, page.errors


def test_each_exercise_page_shows_the_stubs_and_the_check_command(page, server, tmp_path):
    from exercises import all_exercises

    for lesson in LESSONS:
        page.goto(f"{server}/{lesson}_exercises.html", wait_until="load")
        text = visible_text(page)
        number = site.lesson_number(lesson)
        for exercise in (e for e in all_exercises() if e.lesson == number):
            assert f"make check EX={exercise.id}" in text
            stub_line = next(line for line in exercise.stub_text().splitlines() if line.startswith("def "))
            assert stub_line in text, f"{exercise.id}'s stub is shown"
        assert site.page(lesson) in page.eval_on_selector_all("a", "a => a.map(x => x.getAttribute('href'))")
        if lesson.startswith("lesson03"):
            shoot(page, tmp_path, f"{lesson}_exercises.png")


def test_no_internal_link_is_broken(built):
    pages = sorted(built.rglob("*.html"))
    assert len(pages) >= 1 + 2 * len(LESSONS)
    broken = []
    for html in pages:
        for target in internal_targets(html):
            path = unquote(urlsplit(target).path)
            if not path:
                continue
            resolved = (built / path.lstrip("/")) if path.startswith("/") else (html.parent / path)
            if resolved.is_dir():
                resolved = resolved / "index.html"
            if not resolved.resolve().is_file():
                broken.append(f"{html.relative_to(built)} -> {target}")
    assert not broken, "broken links:\n" + "\n".join(broken[:30])


def test_the_site_loads_nothing_from_the_network(built):
    """No page refers to another host for a script, a style sheet or a font (links to read are fine)."""
    remote = []
    for html in built.rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        remote += [
            f"{html.name}: {m}" for m in re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(https?:[^\"]+)", text)
        ]
    assert not remote, remote[:10]


def test_an_out_folder_that_holds_something_else_is_left_alone(built, executed, tmp_path):
    """`python -m course_utils.site --out DIR` replaces only a folder it built itself."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="was not built by this command"):
        site.main(["--notebooks", str(executed), "--out", str(mine), "--work", str(tmp_path / "work")])
    assert (mine / "notes.txt").read_text() == "mine"
    assert (built / site.MARKER).is_file(), "a folder it built can be built again"


# ------------------------------------------------------------------ the builder's own pieces (no browser, no build)
def test_progress_bars_are_shown_as_their_last_state():
    assert site.terminal_text("10%\r50%\r100%\ndone\n") == "100%\ndone\n"
    assert site.terminal_text("1/3 [==    ]" + "\b" * 11 + "\r3/3 [======]\n") == "3/3 [======]\n"
    assert site.terminal_text("a longer line\rshort\n") == "shortger line\n", "a terminal overwrites, as Keras pads"


def test_outputs_are_tidied_for_a_static_page():
    import nbformat

    cell = nbformat.v4.new_code_cell("fit()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="Epoch 1/2\n1/9\r"),
        nbformat.v4.new_output("stream", name="stdout", text="9/9\n"),
        nbformat.v4.new_output("display_data", data={site.WIDGET: {"model_id": "x"}, "text/plain": "HBox()"}),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    site.tidy_outputs(notebook)
    assert [(o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stdout", "Epoch 1/2\n9/9\n"),
        ("stderr", "a warning\n"),
    ]


def test_the_home_page_is_the_readme_with_its_links_made_for_the_site():
    titles = {"lesson03_sentiment": "Lesson 03: sentiment"}
    readme = (
        "| 03 | [Sentiment](lessons/lesson03_sentiment.py) | [the data](#data) | [results](bench/results.md) |\n"
        '![a map](docs/images/a.png) <img src="docs/images/b.png"> [Keras](https://keras.io)\n'
    )
    home = site.home_page(readme, titles)
    assert "[Sentiment](lesson03_sentiment.ipynb)" in home, "a lesson's file -> its page"
    assert "[the data](#data)" in home and "[Keras](https://keras.io)" in home
    assert "| results |" in home, "a file of the repository that is not on the site: plain text"
    assert "![a map](images/a.png)" in home and '<img src="images/b.png">' in home
