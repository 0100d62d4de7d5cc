"""An emulator of the Sage 100 Business Object Interface over the sandbox company file.

`ProvideXScript(company_db_path)` stands for `CreateObject("ProvideX.Script")`, so a
script written for the COM object runs against it unchanged::

    script = ProvideXScript("sage100.db")
    script.Init(r"C:\\Sage\\Sage 100\\MAS90\\Home")
    session = script.NewObject("SY_Session")
    session.nSetUser("ledgerbridge", "secret"); session.nSetCompany("ABC")
    session.nSetDate("A/R", "20261031"); session.nSetModule("A/R")
    session.nSetProgram(session.nLookupTask("AR_Customer_ui"))
    customer = script.NewObject("AR_Customer_bus", session)
    customer.nSetKeyValue("ARDivisionNo$", "01"); customer.nSetKeyValue("CustomerNo$", "ACME")
    customer.nSetKey()                     # 2 = new record, 1 = existing
    customer.nSetValue("CustomerName$", "Acme Ltd"); customer.nSetValue("CreditLimit", 5000)
    customer.nWrite() or print(customer.sLastErrorMsg)

Every call returns 1 (ok), -1 (warning: done, but read `sLastErrorMsg`, as when an invoice
takes a customer over its credit limit) or 0 (error, text in `sLastErrorMsg`). String and
date columns take a `$` suffix; dates are "YYYYMMDD". Out-parameters that COM passes by
reference (`nGetValue`, `nGetNext...No`) come back as `(return_value, value)`, which is
what pywin32 hands a Python caller. Validation follows Sage: unknown customer, vendor,
item or account, inactive item or account, a required column left blank, a value too
long or not numeric, a duplicate invoice number, a journal out of balance, a posting
date in a closed period; a record another session holds is "in use".

Where the sandbox is simpler than Sage: an invoice, receipt, manual check or journal is
posted by its own `nWrite` (no separate register/update step), straight into the history
and open item tables and, in the same transaction, its G/L detail (`posting.py`).
`AP_ManualCheck_bus` (Manual Check and Payment Entry) is named after Sage's task; its name
and columns are the emulator's choice, not confirmed by the reference: key BankCode +
CheckNo, header APDivisionNo, VendorNo, CheckDate, CheckComment, lines InvoiceNo and
AmountPaid, posted into AP_CheckHistoryHeader/Detail.
"""

from sandbox.sage100.boi.general_ledger import GL_GeneralJournal_bus, IM_Transaction_bus
from sandbox.sage100.boi.masters import (
    AP_Vendor_bus,
    AR_Customer_bus,
    CI_ItemCode_bus,
    GL_Account_bus,
)
from sandbox.sage100.boi.payables import AP_Invoice_bus, AP_ManualCheck_bus
from sandbox.sage100.boi.receivables import AR_CashReceipts_bus, AR_Invoice_bus
from sandbox.sage100.boi.script import BUSINESS_OBJECTS, ProvideXScript
from sandbox.sage100.boi.session import (
    ERROR,
    EXISTING_RECORD,
    LOCKS,
    NEW_RECORD,
    OK,
    TASKS,
    WARNING,
    BOIConnectionLost,
    BOIError,
    SY_Session,
)

__all__ = [
    "BUSINESS_OBJECTS",
    "ERROR",
    "EXISTING_RECORD",
    "LOCKS",
    "NEW_RECORD",
    "OK",
    "TASKS",
    "WARNING",
    "AP_Invoice_bus",
    "AP_ManualCheck_bus",
    "AP_Vendor_bus",
    "AR_CashReceipts_bus",
    "AR_Customer_bus",
    "AR_Invoice_bus",
    "BOIConnectionLost",
    "BOIError",
    "CI_ItemCode_bus",
    "GL_Account_bus",
    "GL_GeneralJournal_bus",
    "IM_Transaction_bus",
    "ProvideXScript",
    "SY_Session",
]
