"""API versions: the release calendar and the version a request path names."""

import pytest

from sfmock.versions import API_VERSIONS, release, version_in_path


@pytest.mark.parametrize(("version", "label"), [
    (31, "Summer '14"), (32, "Winter '15"), (33, "Spring '15"), (59, "Winter '24"),
    (62, "Winter '25"), (67, "Summer '26"), (68, "Winter '27"),
])
def test_each_version_is_named_for_its_release(version, label):
    assert release(version) == label


def test_versions_run_from_31_to_the_current_68():
    assert (API_VERSIONS[0], API_VERSIONS[-1]) == ("31.0", "68.0")


@pytest.mark.parametrize(("path", "version"), [
    ("/services/data/v59.0/sobjects", "59.0"),
    ("/services/data/v68.0", "68.0"),
    ("/services/async/59.0/job", "59.0"),
    ("/services/data", ""),
])
def test_the_version_is_read_from_rest_and_bulk_paths(path, version):
    assert version_in_path(path) == version
