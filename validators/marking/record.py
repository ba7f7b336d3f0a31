"""The record of what marking changed, kept inside the package as a custom XML part.

Custom XML parts survive a save in Excel, so ``clear`` still finds the record after the user
has edited and saved the marked workbook.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from . import xmltext
from .opc import CT_CUSTOM_XML_PROPS, RT_CUSTOM_XML, RT_CUSTOM_XML_PROPS, Package, resolve

RECORD_NS = "urn:czcheck:marks:1"
DS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
ITEM_ID = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, RECORD_NS)).upper() + "}"


def find_record(pkg: Package, workbook_part: str) -> tuple[dict[str, Any], str] | None:
    """(record, item part) of our record, or None when the workbook carries no czcheck marks."""
    for target in pkg.targets(workbook_part, RT_CUSTOM_XML):
        if not pkg.has(target):
            continue
        text = pkg.text(target)
        if RECORD_NS not in text[:300]:
            continue
        xmltext.parse(text, target)
        m = re.search(r"<record>(.*)</record>", text, re.S)
        if m is None:
            continue
        return json.loads(xmltext.unescape(m.group(1))), target
    return None


def write_record(pkg: Package, workbook_part: str, record: dict[str, Any]) -> None:
    item = pkg.free_name("customXml/item{}.xml")
    number = item[len("customXml/item"):-len(".xml")]
    props = f"customXml/itemProps{number}.xml"
    rel_id, rel_element, rels_created = pkg.add_relationship(workbook_part, RT_CUSTOM_XML, item)
    ct_element = pkg.add_content_type("Override", "/" + props, CT_CUSTOM_XML_PROPS)
    record["record"] = {"item": item, "props": props, "rel": rel_element, "rel_id": rel_id,
                        "content_type": ct_element, "workbook_rels_created": rels_created}
    payload = xmltext.escape_text(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
    pkg.set_text(item, f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                       f'<czcheck xmlns="{RECORD_NS}"><record>{payload}</record></czcheck>')
    pkg.set_text(props, f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
                        f'<ds:datastoreItem ds:itemID="{ITEM_ID}" xmlns:ds="{DS_NS}"><ds:schemaRefs/></ds:datastoreItem>')
    item_rels = f"customXml/_rels/item{number}.xml.rels"
    pkg.set_text(item_rels, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                            f'<Relationship Id="rId1" Type="{RT_CUSTOM_XML_PROPS}" Target="itemProps{number}.xml"/>'
                            "</Relationships>")


def remove_record(pkg: Package, workbook_part: str, item: str, info: dict[str, Any]) -> None:
    """Delete the record part, its properties, and their relationship and content type."""
    for rel in pkg.relationships(item):
        if rel.type == RT_CUSTOM_XML_PROPS:
            pkg.delete(resolve(item, rel.target))
    folder, name = item.rsplit("/", 1)
    pkg.delete(f"{folder}/_rels/{name}.rels")
    pkg.delete(item)
    remove_relationship(pkg, workbook_part, info.get("rel", ""), info.get("rel_id", ""), item)
    remove_content_type(pkg, info.get("content_type", ""), "/" + info.get("props", ""))


def remove_relationship(pkg: Package, part: str, element: str, rel_id: str, target_part: str | None = None) -> None:
    from .opc import rels_path

    name = rels_path(part)
    if not pkg.has(name):
        return
    text = pkg.text(name)
    text, exact = xmltext.remove_once(text, element)
    if not exact:
        prefix = xmltext.root_prefix(text)
        ids = {rel_id} | {r.id for r in pkg.relationships(part) if target_part and resolve(part, r.target) == target_part}
        text = xmltext.remove_elements_where(text, prefix + "Relationship", "Id", ids)
    pkg.set_text(name, text)


def remove_content_type(pkg: Package, element: str, part_name: str) -> None:
    text = pkg.text("[Content_Types].xml")
    text, exact = xmltext.remove_once(text, element)
    if not exact and part_name:
        prefix = xmltext.root_prefix(text)
        text = xmltext.remove_elements_where(text, prefix + "Override", "PartName", {part_name})
    pkg.set_text("[Content_Types].xml", text)
