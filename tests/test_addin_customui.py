"""The add-in's ribbon XML against Microsoft's customUI schema (Office 2007 namespace
http://schemas.microsoft.com/office/2006/01/customui, the one the xlwings template uses).

tests/data/customUI.xsd is Microsoft's "Schema definition for Ribbon Extensibility" as shipped with
the Office Custom UI Editor (taken from the office-ribbonx-editor repository,
src/OfficeRibbonXEditor/Resources/Schemas/customUI.xsd at d17a1f569ca3b8e98bdc94c6d02cd06e09235549),
unchanged, loaded with the pure-Python xmlschema package (test extra).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

xmlschema = pytest.importorskip("xmlschema")

ROOT = Path(__file__).resolve().parent.parent
XSD = Path(__file__).resolve().parent / "data" / "customUI.xsd"


@pytest.fixture(scope="module")
def schema():
    return xmlschema.XMLSchema(str(XSD))


def _ui() -> str:
    with zipfile.ZipFile(ROOT / "addin" / "czcheck_addin.xlam") as z:
        return z.read("customUI/customUI.xml").decode("utf-8")


def test_ribbon_xml_is_valid(schema):
    from addin.build_addin import CUSTOM_UI_XML

    assert _ui() == CUSTOM_UI_XML
    schema.validate(_ui())


def test_schema_catches_what_office_would_reject(schema):
    ui = _ui()
    assert not schema.is_valid(ui.replace('size="large"', 'size="huge"'))
    assert not schema.is_valid(ui.replace('<button id="czcheckValidate"', '<button id="czcheck Validate"'))
    assert not schema.is_valid(ui.replace("<tabs>", "<tabz>").replace("</tabs>", "</tabz>"))
    assert not schema.is_valid(ui.replace('label="校验本工作簿"', 'label="' + "长" * 1025 + '"'))
