"""Finding, downloading, checking and extracting the course's datasets.

Every dataset is described once in ``REGISTRY``. ``fetch(name)`` returns the path of its
file: from the data root (``$COURSE_DATA_DIR``, else Keras' cache ``~/.keras/datasets``)
when it is there, else downloaded from the official URL (giving up after
``DOWNLOAD_TIMEOUT_S`` seconds without an answer) and checked against its sha256; a download
appears under its name only once complete. ``extract(name)`` unpacks an archive safely into the
git-ignored cache ``.cache/`` of the checkout (or ``$COURSE_CACHE_DIR``), once, even when
two runs ask for it at the same time; an extracted folder records the archive it came from and
is extracted again when the archive is replaced. A dataset whose official files have known
sizes (``Dataset.contents``) is checked against them, so a file cut short is not used.

Every problem a learner can fix ends in one ``CourseError`` line naming the file, the URL to
download it from and where to put it. A file that cannot be written (a full disk, a quota, a
file size limit, a read-only folder) is named as such, never blamed on the archive.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import json
import lzma
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from course_utils import REPO_ROOT, CourseError
from course_utils.atomic import atomic_target, current_umask, write_atomic
from course_utils.inputs import read_text_file
from course_utils.progress import progress

# A download that receives nothing for this long (no answer, or a stalled transfer) gives up.
DOWNLOAD_TIMEOUT_S = 30


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str  # where the file sits under a data root, e.g. "imdb/aclImdb.tar.gz"
    url: str
    sha256: str | None  # of the official file; None where the source publishes none
    size: str
    licence: str
    citation: str
    description: str = ""
    manual: bool = False  # no automatic download: the user must obtain the file (see url)
    extracted: str | None = None  # a folder under the data root that may stand in for the archive
    # Files the extracted dataset must hold, with the number of non-blank lines the official file has:
    # a file cut short (or another dataset's) is refused in one line instead of being used in part.
    contents: tuple[tuple[str, int], ...] = ()

    @property
    def filename(self) -> str:
        return Path(self.path).name


REGISTRY: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            name="names",
            path="names/names.txt",
            url="https://raw.githubusercontent.com/karpathy/makemore/master/names.txt",
            sha256="0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
            size="228 kB",
            licence="MIT (makemore)",
            citation="Andrej Karpathy, makemore, 2022",
            description="32,033 first names, one a line",
        ),
        Dataset(
            name="imdb",
            path="imdb/aclImdb.tar.gz",
            url="https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",
            sha256="c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
            size="84 MB",
            licence="research use; cite the paper",
            citation="Maas et al., Learning Word Vectors for Sentiment Analysis, ACL 2011",
            description="Large Movie Review Dataset: 25,000 train and 25,000 test reviews",
        ),
        Dataset(
            name="tinyshakespeare",
            path="tinyshakespeare/input.txt",
            url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            size="1.1 MB",
            licence="MIT (char-rnn); the text is in the public domain",
            citation="Andrej Karpathy, char-rnn, 2015",
            description="1,115,394 characters of Shakespeare",
        ),
        Dataset(
            name="anki_fra_eng",
            path="anki/fra-eng.zip",
            url="http://www.manythings.org/anki/fra-eng.zip",
            sha256=None,  # the release is updated in place: checked by parsing instead
            size="3-7 MB",
            licence="CC BY 2.0 (Tatoeba)",
            citation="Tatoeba Project, via manythings.org/anki",
            description="English-French sentence pairs, fra.txt",
        ),
        Dataset(
            name="pollution",
            path="timeseries/pollution.csv",
            url="https://raw.githubusercontent.com/jbrownlee/Datasets/master/pollution.csv",
            sha256="892e9559205d16d32623135c127a3951c12e46ea1e0b3093e107ce89a9fd60e2",
            size="2 MB",
            licence="CC BY 4.0 (UCI Machine Learning Repository)",
            citation="Liang et al., Assessing Beijing's PM2.5 pollution, Proc. R. Soc. A 471, 2015 "
            "(UCI: Beijing PM2.5)",
            description="hourly PM2.5 at the US Embassy in Beijing with the airport's weather, 2010-2014: 43,824 rows",
        ),
        # Flickr8k: the data root may hold the official zips or their extracted folders.
        Dataset(
            name="flickr8k_text",
            path="flickr8k/Flickr8k_text.zip",
            extracted="flickr8k/Flickr8k_text",
            url="https://github.com/jbrownlee/Datasets/releases/download/Flickr8k/Flickr8k_text.zip",
            sha256=None,  # no published checksum: checked by parsing the captions instead
            size="2.3 MB",
            licence="research use; cite the paper",
            citation="Hodosh, Young and Hockenmaier, Framing Image Description as a Ranking Task, JAIR 2013",
            description="Flickr8k captions (5 per image) and the official 6,000/1,000/1,000 split",
            contents=(
                ("Flickr8k.token.txt", 40_460),  # 8,092 photos x 5 captions
                ("Flickr_8k.trainImages.txt", 6_000),
                ("Flickr_8k.devImages.txt", 1_000),
                ("Flickr_8k.testImages.txt", 1_000),
            ),
        ),
        Dataset(
            name="flickr8k_images",
            path="flickr8k/Flickr8k_Dataset.zip",
            extracted="flickr8k/Flicker8k_Dataset",  # sic: the official zip's folder name
            url="https://github.com/jbrownlee/Datasets/releases/download/Flickr8k/Flickr8k_Dataset.zip",
            sha256=None,  # no published checksum: every image is decoded before use instead
            size="1.1 GB",
            licence="research use; cite the paper",
            citation="Hodosh, Young and Hockenmaier, Framing Image Description as a Ranking Task, JAIR 2013",
            description="the 8,091 Flickr8k photographs (JPEG)",
        ),
    ]
    + [
        Dataset(
            name=f"ud_english_ewt_{split}",
            path=f"ud_english_ewt/en_ewt-ud-{split}.conllu",
            url="https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/"
            f"r2.16/en_ewt-ud-{split}.conllu",
            sha256=sha,
            size=size,
            licence="CC BY-SA 4.0",
            citation="Silveira et al., A Gold Standard Dependency Corpus for English, LREC 2014",
            description=f"Universal Dependencies English EWT r2.16, {split} split",
        )
        for split, sha, size in [
            ("train", "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b", "14 MB"),
            ("dev", "531a54ff90d6ab12201c5a50c3e78e6ddac4de69abc4bce5d275d3cd29efe2b6", "1.8 MB"),
            ("test", "e266e515a0a7547657ed3d90d9ba46487d6bd251f27ad4269d4e8a427c8555cd", "1.8 MB"),
        ]
    ]
    + [
        # CoNLL-2003 has no public download (the Reuters texts are licensed): the sha256 is
        # that of the course's reference copy, and the "url" is the page explaining how to get it.
        Dataset(
            name=f"conll2003_{split}",
            path=f"conll2003/eng.{split}",
            url="https://www.clips.uantwerpen.be/conll2003/ner/",
            sha256=sha,
            size=size,
            licence="research use (Reuters Corpus, NIST agreement)",
            citation="Tjong Kim Sang and De Meulder, Introduction to the CoNLL-2003 Shared Task, CoNLL 2003",
            description=f"CoNLL-2003 English NER (IOB1), {split} split; obtain it as the page above explains",
            manual=True,
        )
        for split, sha, size in [
            ("train", "bed631399cb0e859c4b446438ce57dfe0208792ca6106ef11620877355494c3a", "3.3 MB"),
            ("testa", "aa83a45b88e4952998156583e2ff5a8be7c1f04fb9efa3a29cd87fac2c883807", "0.8 MB"),
            ("testb", "443914daf51328868558859b28252a28caee2fd02b65e77987977d6489246c5f", "0.7 MB"),
        ]
    ]
}


def data_root() -> Path:
    """The folder searched first: ``$COURSE_DATA_DIR``, else Keras' dataset cache."""
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        return Path(env).expanduser()
    return Path("~/.keras/datasets").expanduser()


def cache_root() -> Path:
    """Where archives are extracted: ``$COURSE_CACHE_DIR``, else ``.cache/`` in the checkout."""
    env = os.environ.get("COURSE_CACHE_DIR")
    return Path(env).expanduser() if env else REPO_ROOT / ".cache"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


MAX_CHECKSUM_LIST_BYTES = 10_000_000
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _listed_checksum(root: Path, relpath: str) -> str | None:
    """The checksum a data root's own ``SHA256SUMS`` file gives for ``relpath``, if any.

    A list that is not text (binary, not UTF-8, too big) or gives ``relpath`` something that is not a
    sha256 is refused in one line: the learner can repair or delete it."""
    sums = root / "SHA256SUMS"
    if not sums.exists():
        return None
    fix = "it should hold lines '<sha256>  ./<path>' as sha256sum writes them; repair or delete it"
    try:
        text = read_text_file(sums, "the data root's checksum list", MAX_CHECKSUM_LIST_BYTES)
    except CourseError as err:
        raise CourseError(f"{err}; {fix}") from None
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*").removeprefix("./") == relpath:
            if not _SHA256.fullmatch(parts[0]):
                raise CourseError(f"{sums}, line {number}, gives {relpath} no sha256 (64 hex digits); {fix}")
            return parts[0].lower()
    return None


def _where_to_put(dataset: Dataset) -> str:
    return f"{data_root() / dataset.path} (or set COURSE_DATA_DIR to a folder holding {dataset.path})"


def verify(path: Path, expected: str | None, dataset: Dataset) -> None:
    if expected is None:
        return
    try:
        actual = sha256_of(path)
    except OSError as err:
        raise CourseError(f"cannot read {path} ({err.strerror or err}); check its permissions") from None
    if actual != expected:
        raise CourseError(
            f"{path} is corrupt or incomplete (sha256 {actual[:12]}…, expected {expected[:12]}…); "
            f"delete it and download {dataset.url} again to {_where_to_put(dataset)}"
        )


def fetch(name: str) -> Path:
    """Return the local path of dataset ``name``'s file, downloading it if needed."""
    if name not in REGISTRY:
        raise CourseError(f"unknown dataset {name!r}; known: {', '.join(sorted(REGISTRY))}")
    dataset = REGISTRY[name]
    root = data_root()
    local = root / dataset.path
    if local.is_file():
        listed = _listed_checksum(root, dataset.path)
        verify(local, listed if listed is not None else dataset.sha256, dataset)
        return local
    if dataset.manual:
        raise CourseError(
            f"dataset {dataset.name!r} cannot be downloaded automatically; obtain it as {dataset.url} "
            f"explains and put it at {_where_to_put(dataset)}"
        )
    return _download(dataset, local)


def _reason(err: BaseException) -> str:
    """An exception as a short phrase for a one-line message."""
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        err = err.reason if isinstance(err.reason, BaseException) else err
    if isinstance(err, TimeoutError):
        return f"no answer from the server for {DOWNLOAD_TIMEOUT_S} s"
    text = (str(err).strip().splitlines() or [""])[0].rstrip(":").strip()
    return (text or type(err).__name__)[:200]


def _offline(dataset: Dataset, why: str) -> CourseError:
    return CourseError(
        f"dataset {dataset.name!r} is not on this machine and could not be downloaded "
        f"({why}). Download {dataset.url} and put it at {_where_to_put(dataset)}"
    )


def _download(dataset: Dataset, target: Path) -> Path:
    """Download ``dataset`` to ``target``: written beside it under a temporary name, checked,
    then renamed, so an interrupted or failed download never looks like the file."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CourseError(
            f"cannot create {target.parent} ({err.strerror or err}); set COURSE_DATA_DIR to a folder you can write to"
        ) from None
    print(f"Downloading {dataset.url} ({dataset.size}) to {target}", flush=True)
    try:
        return _download_to(dataset, target)
    except OSError as err:  # reading from the server ends in a CourseError: this is writing
        raise CourseError(
            f"could not write {target}: {_write_reason(err)}; {_write_remedy(err, 'COURSE_DATA_DIR')}"
        ) from None


def _download_to(dataset: Dataset, target: Path) -> Path:
    digest = hashlib.sha256()
    with atomic_target(target) as tmp:
        try:
            response = urllib.request.urlopen(dataset.url, timeout=DOWNLOAD_TIMEOUT_S)
        except (OSError, http.client.HTTPException, ValueError) as err:
            raise _offline(dataset, _reason(err)) from None
        with response, open(tmp, "wb") as out:
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() and int(length) > 0 else None
            received = 0
            with progress(total=total, what=dataset.name, unit="B", unit_scale=True) as bar:
                while True:
                    try:
                        block = response.read(1 << 16)
                    except (OSError, http.client.HTTPException) as err:
                        raise _offline(dataset, _reason(err)) from None
                    if not block:
                        break
                    out.write(block)
                    digest.update(block)
                    received += len(block)
                    bar.update(len(block))
        if total is not None and received != total:
            raise _offline(dataset, f"the connection closed after {received:,} of {total:,} bytes")
        if dataset.sha256 is not None and digest.hexdigest() != dataset.sha256:
            raise CourseError(
                f"the download of {dataset.url} is corrupt (sha256 {digest.hexdigest()[:12]}…, "
                f"expected {dataset.sha256[:12]}…); try again, or download it yourself and put it at "
                f"{_where_to_put(dataset)}"
            )
    return target


def _safe_members_tar(archive: tarfile.TarFile, dest: Path):
    for member in archive.getmembers():
        target = (dest / member.name).resolve()
        if not target.is_relative_to(dest):
            raise CourseError(f"refusing to extract {member.name!r}: it would land outside {dest}")
        if member.issym() or member.islnk() or member.isdev():
            continue  # datasets need plain files and folders only
        yield member


def _safe_members_zip(archive: zipfile.ZipFile, dest: Path):
    for member in archive.namelist():
        target = (dest / member).resolve()
        if not target.is_relative_to(dest):
            raise CourseError(f"refusing to extract {member!r}: it would land outside {dest}")
        yield member


# What a damaged archive raises while being read (gzip's BadGzipFile is an OSError).
_UNREADABLE = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,  # a zip compression method Python lacks
    RuntimeError,  # an encrypted zip
    ValueError,
    OSError,
)
# ... and the OSErrors that are about the folder written to, not the archive: a full disk, a used-up
# quota, a file size limit (``ulimit -f``: Python ignores SIGXFSZ, so the write fails with EFBIG), a
# read-only file system, no permission.
_WRITE_PROBLEMS = {
    errno.ENOSPC: ("the disk is full", "free some space"),
    errno.EDQUOT: ("the disk quota is used up", "free some space in your quota"),
    errno.EFBIG: ("a file is larger than this shell may write", "raise the file size limit (ulimit -f unlimited)"),
    errno.EROFS: ("the file system is read-only", None),
    errno.EACCES: ("no permission to write there", None),
    errno.EPERM: ("no permission to write there", None),
}
_WRITE_ERRNOS = set(_WRITE_PROBLEMS)


def _write_reason(err: OSError) -> str:
    """A write error as a phrase that says it is one: "File too large (a file is larger than ...)"."""
    strerror = err.strerror or _reason(err)
    problem = _WRITE_PROBLEMS.get(err.errno, (None, None))[0]
    return f"{strerror}: {problem}" if problem else strerror


def _write_remedy(err: OSError, variable: str) -> str:
    fix = _WRITE_PROBLEMS.get(err.errno, (None, None))[1]
    other = f"set {variable} to a folder you can write to"
    return f"{fix}, or {other}" if fix else other


def safe_extract(archive_path: Path, dest: Path, dataset: Dataset | None = None) -> Path:
    """Extract a .tar(.gz) or .zip into ``dest`` atomically; no member may escape ``dest``.

    The archive is unpacked into a temporary sibling folder which is renamed into place
    only when complete, so an interrupted extraction never looks finished and ``dest``
    existing means it is complete. Two runs extracting the same archive at once take turns
    (a lock file beside ``dest``); the second finds the first's folder and uses it.
    ``dataset`` names the download URL in the message about a damaged archive.

    The folder records which archive it came from (``SOURCE_RECORD``: its size, times and sha256): when
    the archive is replaced (a wrong one by the right one), the folder is extracted again, not reused. A
    folder extracted before the record existed is kept when it holds the archive's files.
    """
    archive_path, dest = Path(archive_path), Path(dest)
    if dest.is_dir() and _came_from(dest, archive_path):
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _exclusive(dest.parent / f".{dest.name}.lock", archive_path) as locked:
            if dest.is_dir():
                if _came_from(dest, archive_path):
                    return dest  # another run extracted it while we waited
                _set_aside(dest)  # extracted from another archive: replaced below
            if locked:  # nobody else is extracting: any part-folder is left from a killed run
                for stale in [*dest.parent.glob(f"{dest.name}.part-*"), *dest.parent.glob(f"{dest.name}.old-*")]:
                    shutil.rmtree(stale, ignore_errors=True)
            _extract_into(archive_path, dest, dataset)
    except OSError as err:  # the cache folder itself (not the archive) cannot be written
        raise CourseError(
            f"cannot write the extracted {archive_path.name} into {dest.parent}: {_write_reason(err)} "
            f"(the archive itself was not at fault); {_write_remedy(err, 'COURSE_CACHE_DIR')}"
        ) from None
    return dest


SOURCE_RECORD = ".course-archive.json"  # in an extracted folder: the archive it came from


def _fingerprint(archive_path: Path) -> dict:
    """What changes when the archive is replaced, cheaply: size, modification and change times, inode."""
    info = archive_path.stat()
    return {"size": info.st_size, "mtime_ns": info.st_mtime_ns, "ctime_ns": info.st_ctime_ns, "inode": info.st_ino}


def _came_from(folder: Path, archive_path: Path) -> bool:
    """Whether ``folder`` was extracted from ``archive_path`` as it is now (see ``safe_extract``)."""
    try:
        record = json.loads((folder / SOURCE_RECORD).read_text(encoding="utf-8"))
        if not isinstance(record, dict):
            raise ValueError("not a record")
    except FileNotFoundError:
        record = None
    except (OSError, UnicodeDecodeError, ValueError):
        return False  # a damaged record: extract again
    try:
        now = _fingerprint(archive_path)
        if record is not None and all(record.get(k) == v for k, v in now.items()):
            return True
        if record is not None:  # touched, copied or replaced: the same file only if the same bytes
            same = record.get("sha256") == sha256_of(archive_path)
        else:  # extracted before folders had a record: the same if it holds the archive's files
            same = _holds_members(folder, archive_path)
    except OSError:
        return False
    except _UNREADABLE:  # the archive cannot be listed: extracting it says why
        return False
    if same:
        _record_source(folder, archive_path)
    return same


def _holds_members(folder: Path, archive_path: Path) -> bool:
    if zipfile.is_zipfile(archive_path):
        with zipfile.ZipFile(archive_path) as zf:
            files = [(m.filename, m.file_size) for m in zf.infolist() if not m.is_dir()]
    else:
        with tarfile.open(archive_path) as tf:
            files = [(m.name, m.size) for m in tf.getmembers() if m.isfile()]
    for name, size in files:
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return False
    return bool(files)


def _record_source(folder: Path, archive_path: Path, sha256: str | None = None) -> None:
    record = {"archive": str(archive_path), **_fingerprint(archive_path), "sha256": sha256 or sha256_of(archive_path)}
    with contextlib.suppress(OSError):  # a read-only cache: checked again next time
        write_atomic(folder / SOURCE_RECORD, json.dumps(record) + "\n")


def _set_aside(dest: Path) -> None:
    """Move a folder extracted from another archive out of the way (then delete it) before extracting again."""
    print(f"{dest} was extracted from another archive; extracting the present one again", flush=True)
    old = Path(tempfile.mkdtemp(prefix=dest.name + ".old-", dir=dest.parent))
    os.replace(dest, old / dest.name)
    shutil.rmtree(old, ignore_errors=True)


def _extract_into(archive_path: Path, dest: Path, dataset: Dataset | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".part-", dir=dest.parent)).resolve()
    os.chmod(tmp, 0o777 & ~current_umask())  # mkdtemp makes it private; the cache may be shared
    try:
        if archive_path.suffix.lower() == ".zip" or zipfile.is_zipfile(archive_path):
            with zipfile.ZipFile(archive_path) as zf:
                zf.extractall(tmp, members=list(_safe_members_zip(zf, tmp)))
        else:
            with tarfile.open(archive_path) as tf:
                members = list(_safe_members_tar(tf, tmp))
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(tmp, members=members, filter="data")
                else:  # Python before 3.10.12 / 3.11.4: our own checks above suffice
                    tf.extractall(tmp, members=members)
    except _UNREADABLE as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError) and err.errno in _WRITE_ERRNOS and err.filename != str(archive_path):
            raise  # the cache folder's problem, reported by safe_extract
        raise CourseError(_unreadable(archive_path, err, dataset)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        _record_source(tmp, archive_path)
        os.replace(tmp, dest)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not dest.is_dir():  # not "someone else finished first": a real failure
            raise


def _unreadable(archive_path: Path, err: BaseException, dataset: Dataset | None) -> str:
    problem = f"{archive_path} is not a readable archive ({type(err).__name__}: {_reason(err)})"
    if dataset is None:
        return f"{problem}; delete it and download it again"
    return f"{problem}; download {dataset.url} again and put it at {_where_to_put(dataset)}"


@contextlib.contextmanager
def _exclusive(lock_path: Path, archive_path: Path):
    """Hold an exclusive lock on ``lock_path`` (yields True), waiting for another holder;
    yields False where the system has no ``fcntl`` (the rename in ``_extract_into`` still
    keeps two extractions from clashing)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield False
        return
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"Another run is extracting {archive_path.name}; waiting for it to finish...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def extracted_in_root(name: str) -> Path | None:
    """The already-extracted folder of an archive dataset under the data root, if there is one."""
    folder = REGISTRY[name].extracted if name in REGISTRY else None
    return data_root() / folder if folder and (data_root() / folder).is_dir() else None


def on_disk(name: str) -> bool:
    """Whether dataset ``name`` can be read without a download: its file under the data root, or (an
    archive) its folder extracted there. Exercise checks ask this before they read real data."""
    return (data_root() / REGISTRY[name].path).is_file() or extracted_in_root(name) is not None


def extract(name: str) -> Path:
    """The extracted folder of archive dataset ``name``: found under the data root as it is,
    or fetched and extracted into the cache."""
    found = extracted_in_root(name)
    if found is not None:
        check_contents(REGISTRY[name], found, None)
        return found
    archive = fetch(name)
    folder = safe_extract(archive, cache_root() / "datasets" / name, REGISTRY[name])
    check_contents(REGISTRY[name], folder, archive)
    return folder


def check_contents(dataset: Dataset, folder: Path, archive: Path | None) -> None:
    """Every file ``dataset.contents`` names is in ``folder`` (or a folder inside it), is UTF-8 text and has
    at least the official number of non-blank lines; else one line saying which file is short or missing,
    and where to get the whole dataset. ``archive`` is the file it was extracted from (None: the data root
    holds the folder itself)."""
    if archive is None:
        source = f"{folder}"
        remedy = f"replace it with the files of {dataset.url}"
    else:
        source = f"{folder} (extracted from {archive})"
        remedy = f"download {dataset.url} again and put it at {_where_to_put(dataset)}"
    for filename, lines in dataset.contents:
        found = sorted(p for p in folder.rglob(filename) if "__MACOSX" not in p.parts and p.is_file())
        if not found:
            raise CourseError(f"{source} has no {filename}: it is not the whole {dataset.name} dataset; {remedy}")
        path = found[0]
        counted = _nonblank_lines(path)
        if counted < lines:
            raise CourseError(
                f"{path} has {counted:,} lines where the official file has {lines:,}: it is cut short or not "
                f"the official file; {remedy}"
            )


_counted: dict[tuple, int] = {}  # (path, size, mtime_ns) -> non-blank lines, so a file is read once a process


def _nonblank_lines(path: Path) -> int:
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _counted:
        text = read_text_file(path, "the dataset file", max_bytes=200_000_000)
        _counted[key] = sum(1 for line in text.splitlines() if line.strip())
    return _counted[key]


def read_text(name: str) -> str:
    """Fetch a plain-text dataset and return its contents, with a clear error if it is not text."""
    path = fetch(name)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not UTF-8 text; is it the right file?") from None
    except OSError as err:
        raise CourseError(f"cannot read {path} ({err.strerror or err}); check its permissions") from None


def main() -> int:
    """``make data``: fetch every dataset (a download shows a progress bar on a terminal and in a notebook)."""
    print(f"Data root: {data_root()}  (set COURSE_DATA_DIR to use another folder)\n")
    failed = 0
    for name in REGISTRY:
        try:
            path = extracted_in_root(name) or fetch(name)
            print(f"ok       {name:<26} {path}")
        except CourseError as err:
            failed += 1
            print(f"missing  {name:<26} {err}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
