"""Record IDs: 15/18 forms and the case-safe suffix, as Salesforce computes them."""

import random
import string

import pytest

from sfmock import ids
from sfmock.models.org import Org


@pytest.mark.parametrize(("id15", "id18"), [
    ("00300000003T2PG", "00300000003T2PGAA0"),
    ("a00B000000FSkcv", "a00B000000FSkcvIAD"),
    ("00Di0000000icUB", "00Di0000000icUBEAY"),
    ("aBcDEfgHIJKLMNO", "aBcDEfgHIJKLMNO025"),
])
def test_suffix_matches_published_pairs(id15, id18):
    assert ids.to18(id15) == id18


def test_normalise_accepts_both_forms_and_answers_18():
    assert ids.normalise("00300000003T2PG") == "00300000003T2PGAA0"
    assert ids.normalise("00300000003T2PGAA0") == "00300000003T2PGAA0"
    assert ids.normalise("00300000003T2PGaa0") == "00300000003T2PGAA0"


@pytest.mark.parametrize("bad", ["00300000003T2PGAA1", "0030000000", "00300000003T2P!", "", None])
def test_normalise_rejects_bad_checksums_and_shapes(bad):
    assert ids.normalise(bad) is None


def test_make_id_has_prefix_and_valid_suffix():
    made = ids.make_id("00Q", "8d", 12345)
    assert made.startswith("00Q8d0") and len(made) == 18
    assert ids.normalise(made[:15]) == made


def test_the_checksum_counts_upper_case_letters_five_characters_at_a_time():
    def by_definition(id15: str) -> str:
        return "".join(ids.SUFFIX_ALPHABET[sum(1 << i for i, ch in enumerate(id15[s:s + 5])
                                               if "A" <= ch <= "Z")] for s in (0, 5, 10))

    rng = random.Random(18)
    alphabet = string.ascii_letters + string.digits
    samples = ["".join(rng.choice(alphabet) for _ in range(15)) for _ in range(5000)]
    for id15 in [*samples, "003000000000000", "ZZZZZzzzzz00000", "a-b_c!d e?f+g=h"]:
        assert ids.suffix(id15) == by_definition(id15), id15


def test_normalise_answers_the_18_character_form_of_either_form_by_the_definition():
    rng = random.Random(15)
    alphabet = string.ascii_letters + string.digits
    for _ in range(3000):
        id15 = "".join(rng.choice(alphabet) for _ in range(15))
        id18 = id15 + ids.suffix(id15)
        wrong = id15 + ("AAA" if id18[15:] != "AAA" else "AAB")
        assert ids.normalise(id15) == id18
        assert ids.normalise(id18) == id18
        assert ids.normalise(id15 + id18[15:].lower()) == id18
        assert ids.normalise(wrong) is None
        assert ids.normalise(id15[:14] + "-") is None


def test_normalise_many_answers_what_normalise_answers_for_each_value():
    rng = random.Random(200)
    alphabet = string.ascii_letters + string.digits

    def id18() -> str:
        return ids.to18("".join(rng.choice(alphabet) for _ in range(15)))

    spoilers = [lambda v: v[:15], lambda v: v[:15] + v[15:].lower(), lambda v: v[:15] + "AAA",
                lambda v: v[:17] + "!", lambda v: v[:17] + "é", lambda v: None,
                lambda v: "", lambda v: v + "A", lambda v: 18]
    for _ in range(2000):
        values = [id18() for _ in range(rng.randrange(0, 6))]
        if values and rng.random() < 0.6:
            at = rng.randrange(len(values))
            values[at] = rng.choice(spoilers)(values[at])
        assert ids.normalise_many(values) == [ids.normalise(v) for v in values], values
    canonical = [id18() for _ in range(200)]
    assert ids.normalise_many(canonical) == canonical


@pytest.mark.parametrize("number", [0, 1, 61, 62, 3_843, 62**9 - 1])
def test_base62_counters_read_back_as_written(number):
    assert ids.decode_base62(ids.encode_base62(number, 9)) == number


def test_an_org_reopened_from_its_file_never_makes_an_id_twice(tmp_path):
    """The saved state keeps the ID counter as of its last save; records made since count too."""
    org = Org(tmp_path / "org.db")
    first = [org.insert("Contact", {"LastName": f"Before {n}"}) for n in range(3)]
    org.close()
    reopened = Org(tmp_path / "org.db")
    later = reopened.insert("Contact", {"LastName": "After"})
    lead = reopened.insert("Lead", {"LastName": "After", "Company": "Acme"})
    assert later not in first
    assert later[5:15] > max(first)[5:15] and lead[5:15] > later[5:15]
    reopened.close()


def test_make_id_is_the_prefix_pod_and_base62_counter_with_its_checksum():
    rng = random.Random(62)
    for counter in [0, 1, 61, 62, 3843, 3844, 62**7 - 1, *(rng.randrange(62**9)
                                                            for _ in range(3000))]:
        for prefix, pod in (("003", "Ab"), ("00Q", "zZ"), ("a0B", "09")):
            id15 = prefix + pod + "0" + ids.encode_base62(counter, 9)
            assert ids.make_id(prefix, pod, counter) == id15 + ids.suffix(id15)
    with pytest.raises(OverflowError):
        ids.make_id("003", "Ab", 62**9)
