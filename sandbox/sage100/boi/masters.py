"""Master records through the BOI: customers (`AR_Customer_bus`), vendors (`AP_Vendor_bus`),
items (`CI_ItemCode_bus`) and GL accounts (`GL_Account_bus`, keyed by the formatted
Account, its AccountKey given on first write).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sandbox.sage100.boi.objects import _BusinessObject


class _DividedMaster(_BusinessObject):
    """A customer or vendor: its key starts with a two-digit division (AR or AP)."""

    def _check_key(self) -> str | None:
        column = self.KEY[0]
        division = self._key_values[column]
        if not (division.isdigit() and len(division) == 2):
            return f"The {column} {division} is invalid; divisions are two digits."
        return None


class AR_Customer_bus(_DividedMaster):  # noqa: N801 (Sage's own class name)
    TABLE = "AR_Customer"
    KEY = ("ARDivisionNo", "CustomerNo")
    REQUIRED = ("CustomerName", "TermsCode")
    TERMS_TABLE = "AR_TermsCode"
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {"CustomerStatus": ("A", "I")}

    def _defaults(self) -> dict[str, Any]:
        return {"CustomerStatus": "A", "DateEstablished": self.session.today().isoformat()}


class AP_Vendor_bus(_DividedMaster):  # noqa: N801 (Sage's own class name)
    TABLE = "AP_Vendor"
    KEY = ("APDivisionNo", "VendorNo")
    REQUIRED = ("VendorName", "TermsCode")
    TERMS_TABLE = "AP_TermsCode"
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {"VendorStatus": ("A", "I")}

    def _defaults(self) -> dict[str, Any]:
        return {"VendorStatus": "A"}


class CI_ItemCode_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    TABLE = "CI_Item"
    KEY = ("ItemCode",)
    REQUIRED = ("ItemCodeDesc",)
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {
        "InactiveItem": ("Y", "N"),
        "ItemType": ("1", "2", "3", "4", "5"),
    }

    def _defaults(self) -> dict[str, Any]:
        return {
            "ItemType": "1",
            "InactiveItem": "N",
            "Valuation": "2",
            "DefaultWarehouseCode": "000",
            "UseInAR": "Y",
            "UseInSO": "Y",
            "UseInPO": "Y",
            "TaxClass": "TX",
        }

    def _check_value(self, column: str, value: Any) -> str | None:
        if column in ("SalesAcctKey", "CostOfGoodsSoldAcctKey", "InventoryAcctKey"):
            return self._account_problem(value)
        return super()._check_value(column, value)


class GL_Account_bus(_BusinessObject):  # noqa: N801 (Sage's own class name)
    """GL accounts, keyed by the formatted Account; AccountKey is assigned on first write."""

    TABLE = "GL_Account"
    KEY = ("AccountKey",)
    REQUIRED = ("AccountDesc",)
    CODES: ClassVar[dict[str, tuple[str, ...]]] = {"Status": ("A", "I")}

    def nSetKeyValue(self, column: str, value: Any) -> int:
        if column == "Account$":
            account = str(value).strip()
            found = self._row("GL_Account", {"Account": account})
            key = found["AccountKey"] if found else self._next_account_key()
            self._pending_account = account
            return super().nSetKeyValue("AccountKey$", key)
        return super().nSetKeyValue(column, value)

    def _next_account_key(self) -> str:
        row = self.db.execute("SELECT MAX(AccountKey) FROM GL_Account").fetchone()
        return f"{int(row[0] or 0) + 1:09d}"

    def _defaults(self) -> dict[str, Any]:
        account = getattr(self, "_pending_account", "")
        main = account.split("-")[0]
        return {
            "Account": account,
            "RawAccount": account.replace("-", ""),
            "MainAccountCode": main,
            "Status": "A",
        }
