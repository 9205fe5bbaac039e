"""The three-way merge behind 'after a conflict': what the form had, what is saved now, what the user typed."""

from __future__ import annotations

from crm.platform.conflicts import THEIRS, YOURS, FieldConflict, changes_from, keep_choices, three_way_merge

BASE = {"address": "1 Old Road", "notes": "", "region": "east", "tags": ("key",)}


def test_a_field_only_they_changed_keeps_their_value_and_only_i_changed_keeps_mine() -> None:
    theirs = {**BASE, "region": "north"}
    yours = {**BASE, "notes": "called twice"}
    merge = three_way_merge(BASE, theirs, yours)
    assert merge.theirs_only == ("region",) and merge.yours_only == ("notes",) and not merge.conflicts
    assert merge.values == {**BASE, "region": "north", "notes": "called twice"}
    assert changes_from(merge.resolve(), theirs) == {"notes": "called twice"}


def test_a_field_both_changed_differently_is_a_conflict_settled_as_theirs_by_default() -> None:
    theirs = {**BASE, "address": "2 Manager Street"}
    yours = {**BASE, "address": "3 Staff Lane", "notes": "moved office"}
    merge = three_way_merge(BASE, theirs, yours)
    assert merge.conflicts == {"address": FieldConflict("address", "1 Old Road", "2 Manager Street", "3 Staff Lane")}
    assert merge.resolve()["address"] == "2 Manager Street"
    assert changes_from(merge.resolve(), theirs) == {"notes": "moved office"}
    assert changes_from(merge.resolve({"address": YOURS}), theirs) == {
        "address": "3 Staff Lane",
        "notes": "moved office",
    }


def test_the_same_change_on_both_sides_is_no_conflict_and_nothing_to_save() -> None:
    same = {**BASE, "tags": ("key", "vip")}
    merge = three_way_merge(BASE, same, same)
    assert not merge.conflicts and not merge.theirs_only and not merge.yours_only
    assert changes_from(merge.resolve(), same) == {}


def test_only_the_given_fields_are_merged() -> None:
    merge = three_way_merge(BASE, {**BASE, "region": "north"}, {**BASE, "region": "south"}, fields=["notes"])
    assert merge.values == {"notes": ""} and not merge.conflicts


def test_keeping_choices_on_the_forms_values_settles_each_conflict() -> None:
    conflicts = [
        FieldConflict("address", "1 Old Road", "2 Manager Street", "3 Staff Lane"),
        FieldConflict("region", "east", "north", "south"),
    ]
    form = {**BASE, "address": "3 Staff Lane, floor 2", "region": "south"}
    settled = keep_choices(form, conflicts, {"address": YOURS, "region": THEIRS})
    assert (settled["address"], settled["region"]) == ("3 Staff Lane, floor 2", "north")
    assert keep_choices(form, conflicts, {})["address"] == "2 Manager Street"


def test_a_conflict_message_names_what_else_its_error_carries() -> None:
    """A complaint's conflict also says the state it is in now; its template was shown raw ({state}) before."""
    from crm.platform.change_display import describe_conflict

    changes = [{"who": "Lina", "field": "status", "old_value": "new", "new_value": "acknowledged", "at": None}]
    text = describe_conflict(changes, "en", key="complaints.error.stale", params={"state": "Acknowledged"})
    assert "Lina" in text and "Acknowledged" in text and "{" not in text
