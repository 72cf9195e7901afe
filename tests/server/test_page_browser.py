"""The web page of ``woasr serve`` driven in headless Chromium (Debian's ``chromium`` and
``chromium-driver``, through Selenium): upload a real clip through the file input, watch the job
finish, find its text on the page, with the API key set in the page; a screenshot is saved.
Live captions from a microphone: Chromium's fake capture device playing a real clip."""

from __future__ import annotations

import json
import re
import shutil
import struct
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import srt

pytest.importorskip("fastapi", reason="needs the serve extra: pip install 'woasr[serve]'")

from serving import Server

from conftest import wer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
KEY = "page-test-key"


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from _chromium()


def _chromium(*extra: str) -> Iterator[Any]:
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (test extra)")
    for binary, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not Path(binary).is_file():
            pytest.skip(f"needs Debian's {package} (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1400",
        "--autoplay-policy=no-user-gesture-required",
        # No name resolves but loopback: what the pages load must come from woasr, as offline.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        *extra,
    ):
        options.add_argument(arg)  # fmt: skip
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    # --model base: the page's model field shows the server's default (it said tiny.en, set
    # in the page, whatever the server ran); the test then picks tiny.en itself
    served = Server(tmp_path / "data", "--api-key", KEY, "--model", "base")
    yield served
    served.stop()


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_upload_a_clip_and_read_its_transcript_on_the_page(
    browser: Any, server: Server, shared_audio: Path, tmp_path: Path
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    # API clients asking for JSON still get the original's answer at /.
    request = urllib.request.Request(
        server.url + "/",
        headers={"Accept": "application/json", "Authorization": f"Bearer {KEY}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["status"] == "running"
    with pytest.raises(urllib.error.HTTPError, match="401"):  # that JSON needs the key
        urllib.request.urlopen(
            urllib.request.Request(server.url + "/", headers={"Accept": "application/json"})
        )

    browser.get(server.url + "/")
    wait = WebDriverWait(browser, 180, ignored_exceptions=(StaleElementReferenceException,))
    assert browser.title == "woasr"
    browser.find_element(By.ID, "api-key").send_keys(KEY)
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "health"), "healthy"))
    # The options come from the server's provider list (needs the key).
    wait.until(lambda d: "faster_whisper" in d.find_element(By.ID, "provider").text)
    wait.until(lambda d: d.find_element(By.ID, "model").get_attribute("value") == "base")
    browser.find_element(By.ID, "model").clear()
    browser.find_element(By.ID, "model").send_keys("tiny.en")
    # Drag and drop: a file dropped on the drop zone joins the chosen files (and can leave).
    browser.execute_script(
        "const dt = new DataTransfer();"
        "dt.items.add(new File(['RIFF'], 'dropped.wav', {type: 'audio/wav'}));"
        "document.querySelector('#drop').dispatchEvent("
        "  new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));"
    )
    wait.until(ec.text_to_be_present_in_element((By.ID, "chosen"), "dropped.wav"))
    browser.find_element(By.CSS_SELECTOR, "#chosen button[aria-label='Remove dropped.wav']").click()
    assert "dropped.wav" not in browser.find_element(By.ID, "chosen").text
    browser.find_element(By.ID, "files").send_keys(str(shared_audio / "jfk.wav"))
    wait.until(ec.text_to_be_present_in_element((By.ID, "chosen"), "jfk.wav"))
    browser.find_element(By.ID, "start").click()

    # The job list and the viewer are redrawn as the job's results arrive, so an element found
    # now may be replaced a moment later: read them in one script call (or retry a stale read).
    job_text = wait.until(
        lambda d: d.execute_script(
            "const j = document.querySelector('li.job[data-status=completed]');"
            "return j ? j.textContent : null;"
        )
    )
    assert "jfk.wav" in job_text
    text = wait.until(lambda d: d.find_element(By.ID, "transcript").text.strip())
    words = " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split())
    assert "ask not what your country can do for you" in words, text
    assert browser.find_element(By.ID, "form-msg").text == ""
    # Every format can be downloaded; the transcript is the player's subtitle track.
    links = browser.execute_script(
        "return [...document.querySelectorAll('#downloads a')].map(a => a.textContent);"
    )
    assert sorted(a.split()[-1] for a in links) == ["json", "srt", "tsv", "txt", "vtt"]
    cues = wait.until(
        lambda d: d.execute_script(
            "const t = document.querySelector('#player').textTracks[0];"
            "return t && t.cues && t.cues.length ? t.cues[0].text : null;"
        )
    )
    assert "fellow Americans" in cues

    # A caption on screen for the screenshot: the page draws an audio file's cue itself.
    browser.execute_script("document.querySelector('#player').currentTime = 1;")
    wait.until(ec.text_to_be_present_in_element((By.ID, "caption"), "fellow Americans"))
    shot = tmp_path / "woasr-page.png"
    browser.save_screenshot(str(shot))
    width, height = _png_size(shot)
    assert width >= 800 and height >= 600

    # The API's own pages render from woasr's files (FastAPI's came from a CDN: blank offline),
    # without the key, and Swagger UI offers "Authorize" for it.
    browser.get(server.url + "/docs")
    operations = wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) or None)
    assert operations >= 10
    assert browser.find_elements(By.CSS_SELECTOR, ".btn.authorize")
    browser.get(server.url + "/redoc")
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), "/v1/audio/transcriptions"))


def test_live_captions_from_the_microphone(
    server: Server, shared_audio: Path, tmp_path: Path
) -> None:
    """The page's Live captions: the microphone (Chromium's fake device, playing jfk.wav in a
    loop at its capture rate, 44.1 or 48 kHz) through an AudioWorklet to /v1/stream, committed
    lines with their times, the partial below them, Stop flushing the last words."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    chromium = _chromium(
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",  # the microphone allowed without asking
        f"--use-file-for-fake-audio-capture={shared_audio / 'jfk.wav'}",
    )
    browser = next(chromium)
    try:
        browser.get(server.url + "/")
        wait = WebDriverWait(browser, 120)
        status = (By.ID, "live-status")
        # Without the key the stream is refused, and the page says why.
        browser.find_element(By.ID, "live-start").click()
        wait.until(ec.text_to_be_present_in_element(status, "API key"))
        assert "(1008)" in browser.find_element(*status).text
        assert browser.find_element(By.ID, "live-start").is_enabled()
        browser.find_element(By.ID, "api-key").send_keys(KEY)
        browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
        browser.find_element(By.ID, "model").clear()
        browser.find_element(By.ID, "model").send_keys("tiny.en")
        browser.find_element(By.ID, "live-start").click()
        wait.until(ec.text_to_be_present_in_element(status, "listening"))
        assert browser.find_element(By.ID, "live-stop").is_enabled()
        assert not browser.find_element(By.ID, "live-start").is_enabled()
        wait.until(lambda d: "country" in d.find_element(By.ID, "live-lines").text.lower())
        browser.find_element(By.ID, "live-stop").click()
        wait.until(ec.text_to_be_present_in_element(status, "stopped"))
        assert browser.find_element(*status).text == "stopped"  # closed 1000, not an error
        lines = browser.find_elements(By.CSS_SELECTOR, "#live-lines li")
        text = " ".join(li.find_element(By.TAG_NAME, "span").text for li in lines)
        # What was committed up to "country" (Stop comes at a different word each run); the
        # stream's accuracy is benchmarks/streaming.py's business: through the fake device
        # (16 kHz file, 44.1/48 kHz capture) tiny.en has heard "And so am I fellow America.
        # Just not what your country" and "... asked not what you are country".
        words = re.sub(r"[^a-z ]", " ", text.lower()).split()
        assert "country" in words, text
        heard = " ".join(words[: words.index("country") + 1])
        assert wer("And so my fellow Americans, ask not what your country", heard) <= 0.5, text
        times = [li.find_element(By.TAG_NAME, "time").text for li in lines]
        assert all(re.fullmatch(r"\d+:\d\d\.\d", t) for t in times), times
        assert browser.find_element(By.ID, "live-partial").text == ""
        # The whole transcript, rendered by the server at the end, to download.
        links = browser.find_elements(By.CSS_SELECTOR, "#live-files a")
        names = [a.get_attribute("download") for a in links]
        assert [n.rsplit(".", 1)[1] for n in names] == ["srt", "vtt", "txt", "json"], names
        assert all(re.fullmatch(r"live-\d{8}-\d{6}\.\w+", n) for n in names), names
        srt_text = browser.execute_async_script(
            "fetch(arguments[0]).then(r => r.text()).then(arguments[1]);",
            links[0].get_attribute("href"),
        )
        cues = list(srt.parse(srt_text))  # the same words as the committed lines
        assert " ".join(c.content for c in cues).split() == text.split(), srt_text
        assert browser.find_element(By.ID, "live-start").is_enabled()
        browser.save_screenshot(str(tmp_path / "woasr-live.png"))
    finally:
        chromium.close()
