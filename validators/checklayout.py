"""The layout of the 校验 sheet czcheck writes into its template workbooks (checksheet.py writes it;
reading/safety.py recognises it, to leave it unread).  Data only: no imports, so both can use it."""

CHECK_SHEET_NAME = "校验"
HEADING = "公开表勾稽关系核对"
HEADER = ["序号", "核对关系", "规则", "应等于的数", "各部分之和", "差额", "尾差容限", "结果（通用公式）", "结果（Excel 加载项）"]
FIRST_ROW = 4  # 1-based sheet row of the first relation (rows 1-3: heading, hint, column headers)
