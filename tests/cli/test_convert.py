"""``woasr convert``: rttm only from transcripts that have speakers."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from woasr_cli.cli.app import app
from woasr_cli.transcript import Segment, Transcript


def _write(path: Path, speaker: str | None) -> Path:
    segments = [Segment(0.0, 1.5, " Hello there.", speaker=speaker), Segment(2.0, 3.0, " Hi.")]
    transcript = Transcript(segments, language="en", duration=3.0, source=str(path))
    path.write_text(json.dumps(transcript.to_dict()), encoding="utf-8")
    return path


def test_rttm_from_a_transcript_without_speakers_fails_with_a_reason(tmp_path: Path) -> None:
    plain = _write(tmp_path / "plain.json", None)
    result = CliRunner().invoke(app, ["convert", str(plain), "-f", "srt,rttm"])
    assert result.exit_code == 1
    assert "no speaker labels" in result.stderr and "--diarize" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["plain.json"]  # not even the srt


def test_all_includes_rttm_for_a_transcript_with_speakers(tmp_path: Path) -> None:
    labelled = _write(tmp_path / "spk.json", "SPEAKER_00")
    plain = _write(tmp_path / "plain.json", None)
    result = CliRunner().invoke(app, ["convert", str(labelled), str(plain)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "spk.rttm").read_text().startswith("SPEAKER spk 1 0.000 1.500")
    assert not (tmp_path / "plain.rttm").exists() and (tmp_path / "plain.srt").is_file()


def test_a_subtitle_file_given_to_convert_names_the_json_to_use(tmp_path: Path) -> None:
    """``woasr convert talk.srt -f vtt`` said "not a JSON transcript (Extra data: line 2
    column 1 (char 2))"; it now says what to convert instead, and the other inputs go on."""
    plain = _write(tmp_path / "talk.json", None)
    subs = tmp_path / "talk.srt"
    subs.write_text("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(subs), str(plain), "-f", "vtt"])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert "an SRT file" in line and "talk.json" in line and "-f json" in line
    assert (tmp_path / "talk.vtt").is_file()


def test_dash_o_prints_one_format_on_stdout(tmp_path: Path) -> None:
    """As `transcribe -o -`: the rendered file on stdout, nothing written; the speakers renamed
    there too; more than one transcript or format is a usage error."""
    labelled = _write(tmp_path / "spk.json", "SPEAKER_00")
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(labelled), "-f", "srt", "-o", "-"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("1\n00:00:00,000 --> 00:00:01,500\n") and "Hi." in result.stdout
    result = runner.invoke(app, ["convert", str(labelled), "-f", "rttm", "-o", "-",
                                 "--speaker-names", "Ann"])  # fmt: skip
    assert result.stdout.startswith("SPEAKER spk 1 0.000 1.500 <NA> <NA> Ann ")
    assert [p.name for p in tmp_path.iterdir()] == ["spk.json"]
    for args in (["-f", "srt,vtt"], [], ["-f", "srt", str(labelled)]):
        result = runner.invoke(app, ["convert", str(labelled), "-o", "-", *args])
        assert result.exit_code == 2 and "-o - writes one transcript" in result.stderr
        assert result.stdout == ""


def test_whispers_json_is_laid_out_as_woasrs_subtitles(
    shared_audio: Path, tiny_en: Path, tmp_path: Path
) -> None:
    """``woasr convert`` on the JSON openai-whisper or whisper-ctranslate2 writes: a traceback
    (KeyError: 'text': their words say "word"); now woasr's subtitle layout of their words."""
    import dataclasses

    import srt
    from faster_whisper import WhisperModel

    model = WhisperModel(str(tiny_en), device="cpu", compute_type="int8")
    segments, info = model.transcribe(str(shared_audio / "jfk.wav"), word_timestamps=True)
    # As whisper-ctranslate2 writes it (its writer is openai-whisper's): segments as dicts.
    runs = [dataclasses.asdict(s) for s in segments]
    whisper = {"text": "".join(s["text"] for s in runs), "segments": runs, "language": "en"}
    # A number Whisper writes in pieces, and a segment without word times.
    whisper["segments"] += [
        {"start": 12.0, "end": 13.0, "text": " About 40,000 people.", "words": [
            {"word": " About", "start": 12.0, "end": 12.3, "probability": 0.9},
            {"word": " 40", "start": 12.3, "end": 12.5, "probability": 0.8},
            {"word": ",000", "start": 12.5, "end": 12.7, "probability": 0.7},
            {"word": " people.", "start": 12.7, "end": 13.0, "probability": 0.9}]},
        {"start": 14.0, "end": 15.0, "text": " No words here."},
    ]  # fmt: skip
    path = tmp_path / "jfk.json"
    path.write_text(json.dumps(whisper), encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(path), "-f", "srt,txt"])
    assert result.exit_code == 0, result.stderr
    cues = list(srt.parse((tmp_path / "jfk.srt").read_text(encoding="utf-8")))
    text = " ".join(c.content.replace("\n", " ") for c in cues)
    assert "ask not what your country can do for you" in text.lower()
    assert "About 40,000 people." in text and "No words here." in text
    assert all(len(line) <= 42 for c in cues for line in c.content.splitlines())
    assert cues[0].start.total_seconds() < 1.0 and cues[-1].end.total_seconds() == 15.0
    assert info.language == "en"


def test_a_json_that_does_not_read_fails_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "w.json").write_text('{"segments": [{"start": 0, "text": "x"}]}')
    (tmp_path / "o.json").write_text('{"schema": 1, "segments": [{"start": 0}]}')
    good = _write(tmp_path / "good.json", None)
    result = CliRunner().invoke(
        app, ["convert", str(tmp_path / "w.json"), str(tmp_path / "o.json"), str(good)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"woasr: failed: {tmp_path / 'w.json'}: segment 1 of Whisper's JSON does not read: "
        "no 'end'",
        f"woasr: failed: {tmp_path / 'o.json'}: a woasr JSON transcript that does not read "
        "(segment 1: no 'end')",
    ]
    assert (tmp_path / "good.srt").is_file()


def test_json_is_written_where_asked_and_never_onto_its_input(tmp_path: Path) -> None:
    """``-f json`` said "no output format given"; ``-f json,srt`` dropped the json. Written to
    another folder (a whisper-ctranslate2 JSON becomes woasr's), refused onto the input."""
    whisper = tmp_path / "talk.json"
    whisper.write_text(json.dumps({"text": " Hello there.", "language": "en", "segments": [
        {"id": 0, "start": 0.0, "end": 1.5, "text": " Hello there."}]}))  # fmt: skip
    runner = CliRunner()
    out = str(tmp_path / "o")
    result = runner.invoke(app, ["convert", str(whisper), "-f", "json,srt", "-o", out])
    assert result.exit_code == 0, result.stderr
    doc = json.loads((tmp_path / "o" / "talk.json").read_text())
    assert doc["segments"][0]["text"].strip() == "Hello there." and "provider" in doc
    assert (tmp_path / "o" / "talk.srt").is_file()
    result = runner.invoke(app, ["convert", str(whisper), "-f", "json"])
    assert result.exit_code == 1 and "onto itself" in result.stderr, result.stderr
    assert json.loads(whisper.read_text())["text"] == " Hello there."  # untouched


def test_rttm_of_a_diarized_transcript_without_speech_is_empty(tmp_path: Path) -> None:
    """``transcribe --diarize`` of room tone writes an empty RTTM; convert refused it with "no
    speaker labels (transcribed without --diarize)"."""
    quiet = Transcript([], language="en", duration=8.0, source="tone.wav",
                       options={"diarize": True})  # fmt: skip
    (tmp_path / "tone.json").write_text(json.dumps(quiet.to_dict()), encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(tmp_path / "tone.json"), "-f", "rttm"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "tone.rttm").read_text() == ""


def test_a_null_text_fails_the_file_instead_of_writing_none(tmp_path: Path) -> None:
    """A hand-edited transcript with ``"text": null`` was converted without a word, and the
    subtitles and transcript said "None" where the speech was."""
    doc = Transcript([Segment(0.0, 1.0, " Hello."), Segment(1.0, 2.0, " Bye.")]).to_dict()
    doc["segments"][1]["text"] = None
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["convert", str(path), "-f", "srt,txt"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"woasr: failed: {path}: a woasr JSON transcript that does not read "
        "(segment 2: 'text' is null, not a string)"
    ]
    assert not (tmp_path / "t.txt").exists() and not (tmp_path / "t.srt").exists()


def test_a_null_text_in_whispers_json_fails_the_file_instead_of_writing_none(
    tmp_path: Path,
) -> None:
    words = [{"word": " Hi", "start": 0.0, "end": 0.5}, {"word": None, "start": 0.5, "end": 1.0}]
    doc = {"segments": [{"start": 0.0, "end": 1.0, "text": " Hi there.", "words": words}]}
    path = tmp_path / "w.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["convert", str(path), "-f", "srt"])
    assert result.exit_code == 1 and not (tmp_path / "w.srt").exists()
    assert result.stderr.splitlines() == [
        f"woasr: failed: {path}: segment 1 of Whisper's JSON does not read: "
        "'word' is null, not a string"
    ]


def test_an_unreadable_input_says_why_as_transcribe_does(tmp_path: Path) -> None:
    gone, folder = tmp_path / "gone.json", tmp_path / "folder.json"
    folder.mkdir()
    result = CliRunner().invoke(app, ["convert", str(gone), str(folder)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [  # was "No such file or directory", "Is a directory"
        f"woasr: failed: {gone}: no such file",
        f"woasr: failed: {folder}: is a directory, not a JSON transcript",
    ]


def test_speaker_names_for_a_transcript_without_speakers_fail_it(tmp_path: Path) -> None:
    """``convert plain.json --speaker-names Alice`` wrote plain.json and plain.srt again with
    nobody named, exit 0, where ``transcribe --speaker-names`` without --diarize is refused:
    the library's name_speakers refuses it (transcribe's diarized room tone still passes)."""
    plain = _write(tmp_path / "plain.json", None)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["convert", str(plain), "--speaker-names", "Alice", "-f", "srt", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"woasr: failed: {plain}: no speaker labels (transcribed without --diarize): "
        "no speakers for --speaker-names to name\n"
    )
    assert not out.exists()
    from woasr_cli.processing.speakers import name_speakers

    room_tone = Transcript([], duration=3.0, options={"diarize": True})
    assert name_speakers(room_tone, ["Alice"]) == room_tone


def test_highlight_words_for_a_transcript_without_word_times_fails_it(tmp_path: Path) -> None:
    """``convert plain.json --highlight-words -f srt`` wrote an srt with nothing underlined,
    exit 0 (whisper's CLI refuses --highlight_words without word timestamps); the library's
    cue builder refuses it, so render() and convert say the same. txt and json need none."""
    plain = _write(tmp_path / "plain.json", None)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(app, ["convert", str(plain), "--highlight-words", "-f", "srt,txt",
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 1
    assert result.stderr == (
        f"woasr: failed: {plain}: no word times (transcribed without word timestamps): "
        "nothing for --highlight-words to underline\n"
    )
    assert not out.exists()
    result = runner.invoke(app, ["convert", str(plain), "--highlight-words", "-f", "txt",
                                 "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0 and (out / "plain.txt").read_text() == "Hello there.\nHi.\n"
