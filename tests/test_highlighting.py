from reviews.highlighting import Span, paragraph_bounds, paragraphs, segments

TEXT = "First paragraph here.\n\nSecond one, longer.\n  \n\nThird."


def test_paragraphs_split_at_blank_lines_and_keep_offsets():
    bounds = paragraph_bounds(TEXT)
    assert [TEXT[s:e] for s, e in bounds] == [
        "First paragraph here.",
        "Second one, longer.",
        "Third.",
    ]


def test_single_newlines_stay_inside_a_paragraph():
    text = "Line one\nline two\n\nNext"
    assert [text[s:e] for s, e in paragraph_bounds(text)] == ["Line one\nline two", "Next"]


def test_segments_cover_the_text_exactly_once():
    spans = [Span(6, 15, "a"), Span(0, 5, "b")]
    segs = segments(TEXT, 0, 21, spans)
    assert "".join(s.text for s in segs) == TEXT[:21]
    assert [(s.text, s.keys) for s in segs] == [
        ("First", ("b",)),
        (" ", ()),
        ("paragraph", ("a",)),
        (" here.", ()),
    ]


def test_overlapping_spans_list_innermost_first():
    text = "abcdefghij"
    segs = segments(text, 0, 10, [Span(0, 8, "outer"), Span(3, 5, "inner")])
    assert [(s.text, s.keys) for s in segs] == [
        ("abc", ("outer",)),
        ("de", ("inner", "outer")),
        ("fgh", ("outer",)),
        ("ij", ()),
    ]


def test_a_span_across_paragraphs_is_cut_at_the_break():
    start = TEXT.index("here")
    end = TEXT.index("longer") + len("longer")
    paras = paragraphs(TEXT, [Span(start, end, 1)])
    marked = [[s.text for s in p.segments if s.keys] for p in paras]
    assert marked == [["here."], ["Second one, longer"], []]
    for p in paras:
        assert p.text == TEXT[p.start : p.end]


def test_empty_and_out_of_range_spans_are_ignored():
    segs = segments("hello", 0, 5, [Span(2, 2, "empty"), Span(9, 12, "far")])
    assert [(s.text, s.keys) for s in segs] == [("hello", ())]
