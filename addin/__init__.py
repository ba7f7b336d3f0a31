"""The Excel door of czcheck: the 财政校验 ribbon add-in (``czcheck_addin.xlam``), its entry
module ``czcheck_addin`` (``main()``), the CZ_ worksheet functions (``czcheck_udfs``), the live-book
adapter (``excel``) and the script that builds the .xlam from the xlwings template
(``build_addin``).  The engine (``validators``) never imports xlwings; only this package does.
"""

from pathlib import Path

ADDIN_DIR = Path(__file__).resolve().parent
XLAM_NAME = "czcheck_addin.xlam"
ENTRY_MODULE = "czcheck_addin"  # must equal the .xlam's base name: the template's RunMain imports it
UDF_MODULES = ("czcheck_udfs",)
