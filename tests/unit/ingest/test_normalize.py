from lbgr.ingest.normalize import normalize_lines


def test_full_width_digits_letters_and_punctuation_become_half_width():
    assert normalize_lines("（一）办理案件１２３件，ＡＢ：") == ["(一)办理案件123件,AB:"]


def test_chinese_punctuation_without_half_width_form_is_kept():
    assert normalize_lines("《行政复议法》“放管服”、。") == ["《行政复议法》“放管服”、。"]


def test_enclosed_numerals_are_not_turned_into_digits():
    assert normalize_lines("①加强领导⑴完善制度") == ["①加强领导⑴完善制度"]


def test_line_ends_blank_lines_and_stray_spaces():
    text = "\ufeff　　第一段  有 两个空格\r\n\r\n\r第二段\u2028第三段\t\n   \n"
    assert normalize_lines(text) == ["第一段 有 两个空格", "第二段", "第三段"]


def test_zero_width_characters_are_removed():
    assert normalize_lines("法治\u200b政府\u00ad建设") == ["法治政府建设"]


def test_lost_characters_stay_visible():
    assert normalize_lines("承办“5?12防灾减灾日”活动") == ["承办“5?12防灾减灾日”活动"]


def test_normalisation_is_idempotent():
    once = normalize_lines("（二）ａ１，　b")
    assert normalize_lines("\n".join(once)) == once
