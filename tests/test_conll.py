"""course_utils.conll: CoNLL-U and column readers on tricky input, IOB conversion; and lesson 04's entity F1
(``entities`` and ``entity_scores``, written in the lesson), on hand-worked examples."""

import pytest

from course_utils import CourseError, conll
from lessons.saved.lesson04_tagging import entities, entity_scores
from tests.helpers import UPOS_TAGS


def conllu_line(word_id, form, upos, xpos="_"):
    return "\t".join([word_id, form, form.lower(), upos, xpos, "_", "0", "root", "_", "_"])


TRICKY_CONLLU = "\n".join(
    [
        "# newdoc id = test",
        "# sent_id = 1",
        "# text = I don't know.",
        conllu_line("1", "I", "PRON", "PRP"),
        conllu_line("2-3", "don't", "_"),  # multiword token: its parts follow
        conllu_line("2", "do", "AUX", "VBP"),
        conllu_line("3", "n't", "PART", "RB"),
        conllu_line("4", "know", "VERB", "VB"),
        conllu_line("4.1", "knows", "_"),  # empty node (enhanced dependencies)
        conllu_line("5", ".", "PUNCT", "."),
        "",
        "",  # two blank lines: still one sentence boundary
        "# sent_id = 2",
        conllu_line("1", "Go", "VERB", "VB"),
        conllu_line("2", "!", "PUNCT", "."),
    ]
)  # no blank line at the very end: the last sentence still counts


def test_conllu_reader_skips_comments_multiword_ranges_and_empty_nodes(tmp_path):
    path = tmp_path / "tricky.conllu"
    path.write_text(TRICKY_CONLLU, encoding="utf-8")
    sentences = conll.read_conllu(path)
    assert sentences == [
        (["I", "do", "n't", "know", "."], ["PRON", "AUX", "PART", "VERB", "PUNCT"]),
        (["Go", "!"], ["VERB", "PUNCT"]),
    ]
    xpos = conll.read_conllu(path, tag_column="xpos")
    assert xpos[0][1] == ["PRP", "VBP", "RB", "VB", "."]
    assert conll.read_tagged(path, 2, 5) == xpos  # a learner's --columns 2,5 on a .conllu file


@pytest.mark.parametrize(
    "bad_line, message",
    [
        ("3\tbroken\tline", "line 4: expected 10 tab-separated fields"),
        (conllu_line("x", "what", "PRON"), "line 4: bad word ID 'x'"),
        (conllu_line("2-a", "what", "PRON"), "line 4: bad word ID '2-a'"),
    ],
)
def test_conllu_reader_names_file_and_line_of_a_malformed_line(tmp_path, bad_line, message):
    path = tmp_path / "bad.conllu"
    path.write_text(
        "\n".join(["# sent_id = 1", conllu_line("1", "Hi", "INTJ"), conllu_line("2", "there", "ADV"), bad_line, ""]),
        encoding="utf-8",
    )
    with pytest.raises(CourseError) as err:
        conll.read_conllu(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_column_reader_handles_docstart_at_either_end_of_a_document(tmp_path):
    path = tmp_path / "ner.txt"
    path.write_text(
        "-DOCSTART- -X- O O\n\nEU NNP I-NP I-ORG\nrejects VBZ I-VP O\n\n"
        "Peter NNP I-NP I-PER\nBlackburn NNP I-NP I-PER\n-DOCSTART- -X- O O\n"  # closing a document
        "\nBRUSSELS NNP I-NP I-LOC\n"
    )
    assert conll.read_columns(path, 1, 4) == [
        (["EU", "rejects"], ["I-ORG", "O"]),
        (["Peter", "Blackburn"], ["I-PER", "I-PER"]),
        (["BRUSSELS"], ["I-LOC"]),
    ]
    assert conll.read_columns(path, 1, 2)[0][1] == ["NNP", "VBZ"]
    assert conll.read_columns(path)[0][1] == ["I-ORG", "O"]  # default: first and last column


def test_column_reader_reports_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "mine.tsv"
    path.write_text("The\tDET\ncat\tNOUN\n\nsat\n")
    with pytest.raises(CourseError, match=r"mine.tsv, line 4: has 1 column\(s\), so there is no column 2"):
        conll.read_columns(path, 1, 2)
    with pytest.raises(CourseError, match="does not exist"):
        conll.read_columns(tmp_path / "nope.txt")
    with pytest.raises(CourseError, match="start at 1"):
        conll.read_columns(path, 0, 2)


def test_iob1_to_iob2():
    iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG", "O", "I-MISC"]
    assert conll.iob1_to_iob2(iob1) == ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG", "O", "B-MISC"]
    iob2 = ["B-PER", "I-PER", "B-PER", "O"]
    assert conll.iob1_to_iob2(iob2) == iob2  # already IOB2: unchanged


def test_entities_follow_conlleval():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "B-MISC"]
    assert entities(tags) == {("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6), ("ORG", 6, 7), ("MISC", 7, 8)}
    assert entities(["O", "O"]) == set()
    assert entities(["B-PER", "I-LOC"]) == {("PER", 0, 1), ("LOC", 1, 2)}  # a type change ends it


def test_entity_f1_on_hand_worked_examples():
    gold = [
        ["B-PER", "I-PER", "O", "B-LOC"],  # Peter Blackburn visited Brussels
        ["B-ORG", "I-ORG", "I-ORG", "O"],  # European Commission Office said
    ]
    perfect = entity_scores(gold, gold)
    assert (perfect["precision"], perfect["recall"], perfect["f1"]) == (1.0, 1.0, 1.0)

    predicted = [
        ["B-PER", "O", "O", "B-LOC"],  # PER span too short: a partial span does not count
        ["B-ORG", "I-ORG", "I-ORG", "O"],  # right
    ]
    scores = entity_scores(gold, predicted)
    # 2 of 3 predicted entities are right, 2 of 3 gold entities are found.
    assert scores["precision"] == pytest.approx(2 / 3)
    assert scores["recall"] == pytest.approx(2 / 3)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert scores["per_type"]["PER"]["f1"] == 0.0
    assert scores["per_type"]["LOC"]["f1"] == 1.0

    wrong_type = [["B-ORG", "I-ORG", "O", "B-LOC"], ["O", "O", "O", "O"]]
    scores = entity_scores(gold, wrong_type)
    # right span, wrong type: no credit. Correct: LOC only. P = 1/2, R = 1/3, F1 = 0.4.
    assert scores["precision"] == pytest.approx(1 / 2)
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx(0.4)

    too_long = [["B-PER", "I-PER", "I-PER", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG", "I-ORG"]]
    scores = entity_scores(gold, too_long)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(1 / 3)

    nothing = entity_scores(gold, [["O"] * 4, ["O"] * 4])
    assert nothing["f1"] == 0.0 and nothing["precision"] == 0.0


def test_real_files_have_the_documented_sentence_counts(real_data):
    ewt = conll.read_conllu(real_data / "ud_english_ewt" / "en_ewt-ud-dev.conllu")
    assert len(ewt) == 2001
    assert all(len(tokens) == len(tags) for tokens, tags in ewt)
    assert {t for _, tags in ewt for t in tags} <= UPOS_TAGS
    testb = conll.read_columns(real_data / "conll2003" / "eng.testb", 1, 4)
    assert len(testb) == 3453
    assert not any("-DOCSTART-" in tokens for tokens, _ in testb)
