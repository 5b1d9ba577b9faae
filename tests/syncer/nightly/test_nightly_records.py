"""Reading a Bulk API 2.0 result page: the fast reader gives what csv.DictReader rows read
through Record.parse give, whatever the page's shape."""

from __future__ import annotations

import csv
import gc
import io

import pytest

from syncer.nightly import pull
from syncer.nightly.records import Record, csv_records

HEADER = ('"Id","Email","HasOptedOutOfEmail","IsDeleted","MasterRecordId","SystemModstamp",'
          '"IsConverted","ConvertedContactId"\n')
PAGES = {
    "as sfmock and Salesforce write it": HEADER
    + '"00Q1","Ann@Example.com ","true","false","","2026-11-28T04:00:00.000Z","false",""\n'
    + '"00Q2","","false","false","","2026-11-28T04:00:00.000Z","true","0031"\n',
    "odd checkbox spellings": HEADER
    + '"00Q3","b@example.com","TRUE"," True ","003M","","yes","0032"\n',
    "a blank line, a short row and a long one": HEADER
    + '\n"00Q4","c@example.com"\n"00Q5","d@example.com","true","false","","s","true","","x"\n',
    "columns in another order, some missing": 'Email,Id,HasOptedOutOfEmail\ne@x.com,0031,true\n',
    "a header only": HEADER,
    "nothing at all": "",
}


def dict_reader(text: str, field: str) -> list[Record]:
    return [Record.parse(row, "Lead", field) for row in csv.DictReader(io.StringIO(text))]


@pytest.mark.parametrize("field", ["HasOptedOutOfEmail", "IsConverted"])
@pytest.mark.parametrize("page", PAGES.values(), ids=PAGES.keys())
def test_a_result_page_reads_as_dict_reader_rows_do(page, field):
    assert list(csv_records(page, "Lead", field)) == dict_reader(page, field)


def test_a_page_without_an_id_column_fails_as_dict_reader_rows_do():
    with pytest.raises(KeyError):
        dict_reader("Email\na@x.com\n", "HasOptedOutOfEmail")
    with pytest.raises(KeyError):
        list(csv_records("Email\na@x.com\n", "Lead", "HasOptedOutOfEmail"))


def test_fewer_collections_raises_the_first_threshold_in_the_block_and_puts_it_back():
    before = gc.get_threshold()
    with pull.fewer_collections():
        assert gc.get_threshold() == (pull.GC_ALLOCATIONS, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), pull.fewer_collections():
        raise RuntimeError("a failed page")
    assert gc.get_threshold() == before
