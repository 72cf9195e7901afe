"""The rich progress display with several files in flight (a batch decodes them together)."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from woasr_cli.cli.progress import RichReporter
from woasr_cli.events import Event


def rendered(reporter: RichReporter) -> str:
    console = Console(file=io.StringIO(), force_terminal=True, width=100, color_system=None)
    console.print(reporter.progress.get_renderable())
    out = console.file
    assert isinstance(out, io.StringIO)
    return out.getvalue()


def test_files_in_flight_each_get_a_row_until_done() -> None:
    reporter = RichReporter()
    reporter.console.file = io.StringIO()  # keep the live display off the test's stderr
    reporter(Event("batch_started", total_files=3))
    reporter(Event("started", input="/m/a.wav"))
    reporter(Event("started", input="/m/b.mp3"))
    # Before any progress the length is unknown: the rows must still render.
    screen = rendered(reporter)
    assert "a.wav" in screen and "b.mp3" in screen and "0/3 files" in screen
    reporter(Event("progress", input="/m/b.mp3", done_seconds=12.0, duration=30.0))
    assert "12/30s" in rendered(reporter)
    reporter(Event("done", input="/m/a.wav", duration=8.0, elapsed=1.0, realtime_factor=8.0))
    screen = rendered(reporter)
    assert "a.wav" not in screen and "b.mp3" in screen and "1/3 files" in screen
    reporter(Event("failed", input="/m/b.mp3", reason="cannot decode"))
    reporter(Event("started", input="/m/c.ogg"))
    reporter(Event("interrupted", input="/m/c.ogg"))
    screen = rendered(reporter)
    assert "2/3 files" in screen and "c.ogg" not in screen
    reporter(Event("batch_done"))


def test_json_values_are_rounded_to_the_millisecond() -> None:
    import json

    from woasr_cli.cli.progress import JsonReporter

    stream = io.StringIO()
    JsonReporter(stream)(Event("progress", input="/m/a.wav", done_seconds=92.98599999999999,
                               duration=120.00000000000001))  # fmt: skip
    event = json.loads(stream.getvalue())
    assert (event["done_seconds"], event["duration"]) == (92.986, 120.0)
    assert event["time"] == round(event["time"], 3)


def test_json_gives_the_batch_real_time_factor_not_each_files() -> None:
    import json

    from woasr_cli.cli.progress import JsonReporter

    stream = io.StringIO()
    reporter = JsonReporter(stream)
    reporter(Event("batch_started", total_files=1))
    reporter(Event("started", input="/m/a.wav"))
    reporter(Event("done", input="/m/a.wav", duration=8.0, elapsed=2.0, realtime_factor=4.0))
    reporter(Event("batch_done"))
    done, end = (json.loads(line) for line in stream.getvalue().splitlines()[2:])
    assert (done["duration"], done["elapsed"]) == (8.0, 2.0) and "realtime_factor" not in done
    assert end["audio_seconds"] == 8.0 and end["realtime_factor"] > 0


def test_plain_lines_give_per_file_facts_and_the_batch_speed_at_the_end() -> None:
    from woasr_cli.cli.progress import PlainReporter

    stream = io.StringIO()
    reporter = PlainReporter(stream)
    reporter(Event("batch_started", total_files=2))
    reporter(Event("started", input="/m/a.wav"))
    reporter(Event("done", input="/m/a.wav", duration=8.0, elapsed=2.0, realtime_factor=4.0))
    reporter(Event("failed", input="/m/b.wav", reason="cannot decode"))
    reporter(Event("batch_done"))
    lines = stream.getvalue().splitlines()
    assert lines[1] == "done     /m/a.wav (8.0 s audio, 2.0 s)"
    assert "real time" not in lines[1]
    assert lines[2] == "failed   /m/b.wav: cannot decode"
    assert lines[3].startswith("woasr: 8.0 s of audio in ") and lines[3].endswith("x real time)")
    quiet = io.StringIO()
    reporter = PlainReporter(quiet, quiet=True)
    for event in (Event("batch_started"), Event("started", input="/m/a.wav"),
                  Event("done", input="/m/a.wav", duration=8.0, elapsed=2.0),
                  Event("failed", input="/m/b.wav", reason="x"), Event("batch_done")):  # fmt: skip
        reporter(event)
    assert quiet.getvalue() == "failed   /m/b.wav: x\n"


def test_a_forced_exit_closes_an_open_json_batch_once() -> None:
    import json

    from woasr_cli.cli.progress import JsonReporter

    stream = io.StringIO()
    reporter = JsonReporter(stream)
    reporter.close("stopped by SIGTERM")  # no batch yet: nothing to close
    reporter(Event("batch_started", total_files=1))
    reporter.close("stopped by SIGTERM")
    reporter.close("stopped by SIGTERM")
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["event"], e.get("reason")) for e in events] == [
        ("batch_started", None), ("batch_done", "stopped by SIGTERM"),
    ]  # fmt: skip


def test_the_batch_speed_counts_what_a_resumed_file_transcribed_this_time() -> None:
    """A file resumed at 55 s of 154 s: "2.6 min of audio in 52.1 s (3.0x real time)" said
    the run had transcribed all of it, at 3.0x, where it had done 99 s at 1.9x."""
    import json
    import time

    from woasr_cli.cli.progress import JsonReporter, PlainReporter

    plain, lines = io.StringIO(), io.StringIO()
    reporters = (PlainReporter(plain), JsonReporter(lines))
    events = (Event("batch_started", total_files=1),
              Event("started", input="/m/long.wav", resumed_from=55.0))  # fmt: skip
    for event in events:
        for reporter in reporters:
            reporter(event)
    time.sleep(0.2)
    for event in (Event("done", input="/m/long.wav", duration=154.0, elapsed=0.2),
                  Event("batch_done")):  # fmt: skip
        for reporter in reporters:
            reporter(event)
    summary = plain.getvalue().splitlines()[-1]
    assert summary.startswith("woasr: 99.0 s of audio in "), summary
    assert summary.endswith("x real time), resumed after 55.0 s done earlier"), summary
    end = json.loads(lines.getvalue().splitlines()[-1])
    assert end["audio_seconds"] == 154.0  # the finished files' audio, as before
    assert end["realtime_factor"] * end["elapsed"] == pytest.approx(99.0, rel=0.02)


def test_plain_lines_count_a_reruns_many_skips_in_one_line() -> None:
    # A rerun of a 3,000-file folder wrote 3,000 "skip ... (already done)" lines around its few
    # new files and failures; now the first SKIPS_SHOWN, then one line counting the rest.
    from woasr_cli.cli.progress import SKIPS_SHOWN, PlainReporter

    stream = io.StringIO()
    reporter = PlainReporter(stream)
    many = SKIPS_SHOWN + 25
    reporter(Event("batch_started", total_files=many + 2))
    for i in range(many):
        reporter(Event("skipped", input=f"/m/{i:04d}.wav"))
    reporter(Event("skipped", input="/m/r.wav", reason="srt written again"))  # always shown
    reporter(Event("failed", input="/m/bad.wav", reason="not a media file"))
    reporter(Event("skipped", input="/m/last.wav"))
    reporter(Event("batch_done"))
    lines = stream.getvalue().splitlines()
    plain = [line for line in lines if line.endswith("(already done)")]
    assert plain[:SKIPS_SHOWN] == [f"skip     /m/{i:04d}.wav (already done)" for i in range(10)]
    assert lines.index("skip     25 more inputs (already done)") == SKIPS_SHOWN  # in its place
    assert "skip     /m/r.wav (already done; srt written again)" in lines
    assert "failed   /m/bad.wav: not a media file" in lines
    assert lines[-1] == "skip     1 more input (already done)"  # told at the batch's end


def test_a_files_warnings_follow_its_done_line_and_a_silent_track_names_the_flag() -> None:
    """A file cut off came out "done (6.1 s audio)" alone; a silent default track among three
    said "the others are not transcribed", with no way named to transcribe them."""
    from woasr_cli.cli.progress import PlainReporter

    said = "audio ends at 6.1 s, the container says 11.0 s: the file may be cut off"
    cut = Event("done", input="/m/cut.mp4", duration=6.1, elapsed=1.0, words=12, warnings=[said])
    three = {"index": 0, "language": None, "of": 3}
    events = [
        cut,
        Event("done", input="/m/film.mkv", duration=8.0, words=0, audio_track=three),
        Event(
            "done",
            input="/m/dub.mkv",
            duration=8.0,
            words=0,
            audio_track={**three, "asked": 2, "index": 2},
        ),
    ]
    stream = io.StringIO()
    reporter = PlainReporter(stream)
    for event in events:
        reporter(event)
    assert stream.getvalue().splitlines() == [
        "done     /m/cut.mp4 (6.1 s audio, 1.0 s)",
        f"warning  /m/cut.mp4: {said}",
        "done     /m/film.mkv (8.0 s audio, no speech found in audio track 0 of 3 (0-2), the "
        "default; --audio-track N transcribes another)",
        "done     /m/dub.mkv (8.0 s audio, no speech found in audio track 2 of 3 (0-2))",
    ]
    rich = RichReporter()
    rich.console.file = io.StringIO()
    rich.console.width = 200  # a line each
    rich(Event("batch_started", total_files=1))
    rich(Event("started", input="/m/cut.mp4"))
    rich(cut)
    rich(Event("batch_done"))
    shown = rich.console.file.getvalue()
    assert (
        "done /m/cut.mp4 (6.1 s audio, 1.0 s)" in shown and f"warning /m/cut.mp4: {said}" in shown
    )
