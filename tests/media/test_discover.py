"""Inputs: files, folders (recursive), globs and lists; deterministic order; no duplicates."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from conftest import as_nobody, locked_folder
from woasr_cli.jobs.layout import output_stems
from woasr_cli.media.discover import discover_inputs, read_list, unreadable


def _touch(root: Path, *names: str) -> None:
    for name in names:
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")


def test_directory_walk_is_recursive_sorted_and_media_only(tmp_path: Path) -> None:
    _touch(tmp_path, "b.wav", "a.mp3", "sub/c.mkv", "notes.txt", ".hidden.wav", "sub/.git/x.wav")
    found = discover_inputs([str(tmp_path)])
    assert [str(i.relative) for i in found.inputs] == ["a.mp3", "b.wav", "sub/c.mkv"]
    assert not found.missing


def test_a_walk_takes_audiobooks_broadcast_and_dvd_files(tmp_path: Path) -> None:
    # A folder's .m4b audiobook, .mxf broadcast file, .vob DVD title, browser .weba recording
    # and WavPack archive were passed over without a word ("2 done, 0 failed").
    names = ["book.m4b", "news.MXF", "VTS_01_1.VOB", "voice.weba", "lossless.wv", "cam.MOD"]
    _touch(tmp_path, *names, "cover.jpg", "book.cue")
    found = discover_inputs([str(tmp_path)])
    assert sorted(str(i.relative) for i in found.inputs) == sorted(names)


def test_explicit_file_is_always_tried_and_duplicates_dropped(tmp_path: Path) -> None:
    _touch(tmp_path, "notes.txt", "a.wav")
    found = discover_inputs([str(tmp_path / "notes.txt"), str(tmp_path), str(tmp_path / "a.wav")])
    assert [i.path.name for i in found.inputs] == ["notes.txt", "a.wav"]


def test_globs_and_missing(tmp_path: Path) -> None:
    _touch(tmp_path, "x/1.wav", "x/2.flac", "y/3.wav")
    found = discover_inputs([str(tmp_path / "**" / "*.wav"), str(tmp_path / "*.nothing")])
    assert [i.path.name for i in found.inputs] == ["1.wav", "3.wav"]
    assert [str(i.relative) for i in found.inputs] == ["x/1.wav", "y/3.wav"]
    assert found.missing == [str(tmp_path / "*.nothing")]


def test_missing_path_is_kept_as_an_input_to_fail_later(tmp_path: Path) -> None:
    found = discover_inputs([str(tmp_path / "gone.wav")])
    assert [i.path.name for i in found.inputs] == ["gone.wav"]


def test_empty_directory_named_like_media_is_a_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.wav").mkdir()
    found = discover_inputs([str(tmp_path / "x.wav")])
    assert [i.path.name for i in found.inputs] == ["x.wav"]
    # ...while a walk of the parent never treats it as a file.
    assert discover_inputs([str(tmp_path)]).inputs == []


def test_odd_names(tmp_path: Path) -> None:
    _touch(tmp_path, "with space.wav", "ünïcødé 한국어.wav", "-dash.wav")
    found = discover_inputs([str(tmp_path)])
    assert sorted(i.path.name for i in found.inputs) == sorted(
        ["with space.wav", "ünïcødé 한국어.wav", "-dash.wav"]
    )


def test_files_from_list_skips_blanks_and_comments() -> None:
    assert read_list(b"a.wav\n\n# note\nb c.mp3\r\n") == ["a.wav", "b c.mp3"]
    # saved by a Windows editor: a byte-order mark and CRLF line ends
    assert read_list(b"\xef\xbb\xbfa.wav\r\nb.wav\r\n") == ["a.wav", "b.wav"]


def test_files_from_takes_find_print0_and_names_that_are_not_utf8() -> None:
    """``find -print0`` lists keep a newline inside a name; a Latin-1 name in a list file
    stopped the batch with a UnicodeDecodeError traceback."""
    assert read_list(b"new\nline.wav\0# not a comment.wav\0") == [
        "new\nline.wav",
        "# not a comment.wav",
    ]
    (name,) = read_list(b"caf\xe9.wav\n")
    assert os.fsencode(name) == b"caf\xe9.wav"


def test_output_stems_mirror_tree_and_never_collide(tmp_path: Path) -> None:
    _touch(tmp_path, "media/a.mp3", "media/a.wav", "media/sub/b.wav", "other/b.wav")
    found = discover_inputs([str(tmp_path / "media"), str(tmp_path / "other" / "b.wav")])
    stems = output_stems(found.inputs, tmp_path / "out")
    rel = [str(s.relative_to(tmp_path / "out")) for s in stems]
    assert rel[:3] == ["a.mp3", "a.wav", "sub/b"]
    assert rel[3] == "b"
    assert len(set(stems)) == len(stems)
    twins = discover_inputs([str(tmp_path / "media/sub/b.wav"), str(tmp_path / "other/b.wav")])
    twin_stems = output_stems(twins.inputs, tmp_path / "out")
    assert len(set(twin_stems)) == 2


def test_stems_alike_but_for_case_or_normalisation_stay_apart(tmp_path: Path) -> None:
    """A folder of 3,000 clips held A.wav beside a.flac, Case.wav beside case.wav and
    Sub/x.wav beside sub/x.wav: their files went to A.srt and a.srt, one file on a
    case-insensitive drive (macOS, Windows, exFAT), where the second replaced the first."""
    nfc, nfd = "caf\u00e9.wav", "cafe\u0301.mp3"
    _touch(tmp_path / "m", "A.wav", "a.flac", "Case.wav", "case.wav", "Sub/x.wav", "sub/x.wav",
           nfc, nfd, "other.wav")  # fmt: skip
    found = discover_inputs([str(tmp_path / "m")])
    if len(found.inputs) < 9:
        pytest.skip("this file system folds names itself")
    stems = output_stems(found.inputs, tmp_path / "out")
    folded = {unicodedata.normalize("NFC", str(s)).casefold() for s in stems}
    assert len(folded) == len(stems), stems
    by_name = {str(i.relative): s.name for i, s in zip(found.inputs, stems, strict=True)}
    assert by_name["A.wav"] == "A.wav" and by_name["a.flac"] == "a.flac", by_name
    assert by_name["other.wav"] == "other"  # no clash, no change


def test_a_stem_too_long_for_a_formats_name_is_cut_at_a_character(tmp_path: Path) -> None:
    """Names of 255 bytes (a download named after a title): "NAME.wav" fits where "NAME.json"
    would not. Cut stems end in "~" and a hash of the input's path, so stems alike in their
    first bytes stay apart; a UTF-8 character is never split; short names are left alone."""
    names = ["a" * 251 + ".wav", "a" * 250 + "b.wav", "é" * 125 + "a.wav", "x" * 246 + ".wav"]
    _touch(tmp_path, *names)
    found = discover_inputs([str(tmp_path)])
    cut_stems = output_stems(found.inputs, tmp_path / "o")
    stems = {item.path.name: stem for item, stem in zip(found.inputs, cut_stems, strict=True)}
    for name, stem in stems.items():
        for fmt in ("json", "rttm", "srt"):
            assert len(os.fsencode(f"{stem.name}.{fmt}")) <= 255, (name, fmt)
    assert stems["x" * 246 + ".wav"].name == "x" * 246
    cut = [stems[n].name for n in names[:3]]
    assert all(re.fullmatch(r".+~[0-9a-f]{8}", c) for c in cut), cut
    assert cut[0] != cut[1] and cut[0][:200] == cut[1][:200]
    assert cut[2].startswith("é" * 120) and cut[2].rsplit("~", 1)[0] == "é" * 120
    assert len(set(stems.values())) == len(stems)


def test_fifos_and_sockets_in_folders_and_globs_are_skipped_with_a_reason(tmp_path: Path) -> None:
    import os
    import socket

    _touch(tmp_path, "a.wav", "sub/b.wav")
    os.mkfifo(tmp_path / "pipe.wav")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sub" / "sock.mp3"))
    try:
        found = discover_inputs([str(tmp_path)])
        globbed = discover_inputs([str(tmp_path / "*.wav")])
        named = discover_inputs([str(tmp_path / "pipe.wav")])
    finally:
        server.close()
    assert [str(i.relative) for i in found.inputs] == ["a.wav", "sub/b.wav"]
    assert found.skipped == [
        (str(tmp_path / "pipe.wav"), "a FIFO (named pipe), not a regular file: not read"),
        (str(tmp_path / "sub" / "sock.mp3"), "a socket, not a regular file: not read"),
    ]
    assert [i.path.name for i in globbed.inputs] == ["a.wav"]
    assert [name for name, _ in globbed.skipped] == [str(tmp_path / "pipe.wav")]
    # Named explicitly, it stays an input: the batch fails it with the same reason.
    assert [i.path.name for i in named.inputs] == ["pipe.wav"] and not named.skipped


def test_a_dangling_symlink_is_named_by_the_link(tmp_path: Path) -> None:
    _touch(tmp_path, "a.wav")
    (tmp_path / "broken.wav").symlink_to("gone/elsewhere.wav")
    found = discover_inputs([str(tmp_path)])
    assert [i.path for i in found.inputs] == [tmp_path / "a.wav", tmp_path / "broken.wav"]


def test_a_symlink_is_named_by_itself_and_a_linked_folder_is_reported(tmp_path: Path) -> None:
    """A folder holding links to media kept elsewhere (``talk.mp4 -> /store/ab12.mp4``) ended
    the whole batch with a traceback: the link was named by its target, outside the folder,
    and had no place in the folder's tree of outputs."""
    media, store = tmp_path / "media", tmp_path / "store"
    _touch(store, "ab12.mp4", "2024/c.wav")
    _touch(media, "sub/a.wav")
    (media / "talk.mp4").symlink_to(store / "ab12.mp4")
    (media / "sub" / "up").symlink_to("..")  # a loop, were links to folders walked
    (media / "2024").symlink_to(store / "2024")
    found = discover_inputs([str(media)])
    assert [(str(i.relative), i.path) for i in found.inputs] == [
        ("talk.mp4", media / "talk.mp4"),
        ("sub/a.wav", media / "sub" / "a.wav"),
    ]
    reason = "a symlink to a directory, not walked: name it to include it"
    assert found.skipped == [(str(media / "2024"), reason), (str(media / "sub" / "up"), reason)]
    # Named, or through a glob, a linked folder is walked, its files under the name given.
    named = discover_inputs([str(media / "2024"), str(media / "talk.mp4")])
    assert [(str(i.relative), i.path) for i in named.inputs] == [
        ("c.wav", store / "2024" / "c.wav"),
        ("talk.mp4", media / "talk.mp4"),
    ]
    globbed = discover_inputs([str(media / "*" / "*.wav")])
    assert [str(i.relative) for i in globbed.inputs] == ["2024/c.wav", "sub/a.wav"]
    assert globbed.inputs[0].path == media / "2024" / "c.wav"


def test_a_folder_that_cannot_be_read_is_reported(tmp_path: Path) -> None:
    """os.walk passed over a subfolder it could not list without a word: its media were
    missing from the batch and nothing said so."""
    with locked_folder(tmp_path) as media:
        _touch(media, "a.wav", "locked/b.wav")
        (media / "locked").chmod(0)
        with as_nobody():
            found = discover_inputs([str(media)])
        assert [i.path for i in found.inputs] == [media / "a.wav"]
        why = "cannot read the folder: Permission denied"
        assert found.skipped == [(str(media / "locked"), why)]
        assert unreadable(found.skipped) == found.skipped


def test_a_url_matches_nothing_instead_of_becoming_a_path() -> None:
    """``woasr transcribe https://host/a.mp3`` failed as "/cwd/https:/host/a.mp3: no such
    file"; a URL is no file here and is reported as given."""
    found = discover_inputs(["https://example.com/talk.mp3", "s3://bucket/x.wav"])
    assert found.inputs == [] and found.missing == ["https://example.com/talk.mp3",
                                                    "s3://bucket/x.wav"]  # fmt: skip


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_a_pipe_named_by_a_proc_link_keeps_its_name() -> None:
    """`cat x.mp3 | woasr transcribe /dev/stdin`: the link resolves to /proc/PID/fd/pipe:[N],
    which names nothing, and the batch said "no such file" for it; the name given is kept, so
    the batch can say it is a pipe."""
    read, write = os.pipe()
    try:
        link = f"/proc/self/fd/{read}"
        found = discover_inputs([link])
        assert [i.path for i in found.inputs] == [Path(link)]
        assert found.inputs[0].path.exists()
    finally:
        os.close(read)
        os.close(write)


def test_a_linked_folder_named_beside_its_parent_is_not_reported_as_skipped(
    tmp_path: Path,
) -> None:
    """`woasr transcribe media/ media/2024`, as the walk's message and docs/recipes.md say to
    include a linked folder: its files were transcribed, yet the batch still printed `skipped
    .../media/2024: a symlink to a directory, not walked: name it to include it`."""
    media, store = tmp_path / "media", tmp_path / "store"
    _touch(store, "2024/c.wav")
    _touch(media, "a.wav")
    (media / "2024").symlink_to(store / "2024")
    (media / "2023").symlink_to(store / "2024")  # a second link to it: reported until named
    reason = "a symlink to a directory, not walked: name it to include it"
    found = discover_inputs([str(media), str(media / "2024")])
    assert [i.path.name for i in found.inputs] == ["a.wav", "c.wav"]
    assert found.skipped == [(str(media / "2023"), reason)]
    found = discover_inputs([str(media / "2024") + "/", str(media), str(media / "2023")])
    assert [i.path.name for i in found.inputs] == ["c.wav", "a.wav"]  # 2023's c.wav is 2024's
    assert found.skipped == []


def test_a_glob_that_names_no_extension_keeps_media_as_a_walk_does(tmp_path: Path) -> None:
    # 'media/**/*.*' tried every note, image and woasr output beside the media, each failing
    # "not a media file" on every run; a glob naming its extension chooses by it.
    _touch(tmp_path, "a.wav", "a.srt", "a.json", "notes.txt", "sub/b.MP3", "sub/c.dat", "d.m4b")
    for pattern in ("**/*.*", "**/*", "*/*", "a.*"):
        found = discover_inputs([str(tmp_path / pattern)])
        kept = {i.path.name for i in found.inputs}
        assert kept and kept <= {"a.wav", "b.MP3", "d.m4b"}, pattern
        assert not found.missing
    assert {i.path.name for i in discover_inputs([str(tmp_path / "**" / "*.*")]).inputs} == {
        "a.wav",
        "b.MP3",
        "d.m4b",
    }
    assert [i.path.name for i in discover_inputs([str(tmp_path / "sub" / "*.dat")]).inputs] == [
        "c.dat"
    ]
    notes = discover_inputs([str(tmp_path / "*.t?t")])  # matched notes.txt alone: no media
    assert notes.inputs == [] and notes.missing == [str(tmp_path / "*.t?t")]
