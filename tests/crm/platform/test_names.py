"""Name folding for duplicate detection: the same customer, however its name was typed, gets one key."""

from __future__ import annotations

import pytest

from crm.platform.names import normalise_name


@pytest.mark.parametrize(
    "spelling",
    [
        "Acme Robotics Ltd",
        "ACME ROBOTICS LTD.",
        "Acme Robotics Co., Ltd.",
        "acme-robotics inc",
        "Acme Robotics, LLC",
        "Acme Robotics GmbH",
        "Acme Robotics Corp.",
        "Acme Robotics Company",
        "Acme Robotics Limited",
        "  Acme   Robotics  ",
        "ＡＣＭＥ　Ｒｏｂｏｔｉｃｓ",
        "Acme Robotics Group plc",
    ],
)
def test_latin_names_fold_case_width_punctuation_and_company_suffixes(spelling: str) -> None:
    assert normalise_name(spelling) == "acmerobotics"


@pytest.mark.parametrize(
    "spelling",
    [
        "上海明达信息技术有限公司",
        "上海明达信息技术股份有限公司",
        "上海明达信息技术有限责任公司",
        "上海明达信息技术集团有限公司",
        "上海明达信息技术集团",
        "上海明达信息技术",
        "上海 明达 信息技术 有限公司",
        "上海明达信息技术有限公司。",
    ],
)
def test_chinese_company_suffixes_and_spaces_are_ignored(spelling: str) -> None:
    assert normalise_name(spelling) == "上海明达信息技术"


def test_full_width_brackets_and_letters_fold_like_half_width_ones() -> None:
    assert normalise_name("ＡＢＣ（上海）有限公司") == normalise_name("ABC(上海)有限公司") == "abc上海"


def test_suffix_like_endings_inside_a_word_are_kept() -> None:
    assert normalise_name("Costco") == "costco"
    assert normalise_name("Incorporated Widgets Inc") == "incorporatedwidgets"


def test_a_name_that_is_only_a_suffix_keeps_it() -> None:
    assert normalise_name("Company") == "company"
    assert normalise_name("有限公司") == "有限公司"


def test_different_companies_keep_different_keys() -> None:
    assert normalise_name("深圳华强电子有限公司") != normalise_name("深圳华强科技有限公司")


def test_empty_names_fold_to_an_empty_key() -> None:
    assert normalise_name("") == ""
    assert normalise_name(" ,. ") == ""
