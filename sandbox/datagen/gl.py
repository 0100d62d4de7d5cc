"""Purchase and expense lines as KashFlow holds them, with the Sage 100 GL account each belongs to.

`generate_gl_dataset(n_lines, seed)` draws lines from suppliers of the company's kinds
(`SUPPLIER_KINDS`), some specialists and some general merchants that sell across
categories. The Sage 100 chart (`SAGE_GL_ACCOUNTS`) is finer than KashFlow's nominal
codes (`GL_CHART`): one nominal (7502 Telephone and Internet) splits into several Sage
accounts (telephone, internet, mobile), and computer kit is capitalised above £500. The
KashFlow nominal on a line is a noisy hint: usually the right parent, sometimes the
supplier's default nominal or a wrong pick, sometimes blank. Descriptions carry
periods, references, quantities, typos, capitals and the occasional "Goods" or
"Monthly charge"; about 3% of lines were posted to a sibling account of the same
nominal, as people do, and that history is the truth. `NOMINAL_TO_SAGE` is the mapping
table a finance team starts from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

from sandbox.datagen.company import ANCHOR_DATE, GL_CHART, SUPPLIER_KINDS

CAPITALISATION_LIMIT = 500.0
"""Computer kit at or above this net amount is a fixed asset, below it a consumable."""


@dataclass(frozen=True)
class _Category:
    account: str
    name: str
    nominal: str
    """The KashFlow nominal a bookkeeper picks for this kind of spend."""
    descriptions: tuple[str, ...]
    median_amount: float
    spread: float = 0.6
    round_amounts: bool = False


_CATEGORIES: tuple[_Category, ...] = (
    _Category("5000-01", "Materials - Timber", "5000",
              ("Timber planks", "Softwood battens 2x4", "MDF sheets 18mm", "Oak boards",
               "Plywood sheets", "Hardwood offcuts"), 240),
    _Category("5000-02", "Materials - Metalwork", "5000",
              ("Steel fixings", "Stainless bolts M8", "Aluminium sheet", "Brass hinges",
               "Steel brackets", "Wire rope"), 180),
    _Category("5000-03", "Materials - Finishes", "5000",
              ("Paint and varnish", "Wood stain", "Primer 5L", "Sanding discs", "Wax polish",
               "Lacquer spray"), 90),
    _Category("5010-00", "Packaging", "5010",
              ("Cardboard boxes", "Bubble wrap rolls", "Packing tape", "Pallet wrap",
               "Void fill chips", "Mailing bags"), 120),
    _Category("6100-00", "Advertising - Online", "6100",
              ("Online advertising", "Google Ads", "Facebook advertising", "LinkedIn campaign",
               "Search ads", "Sponsored listing"), 400),
    _Category("6100-01", "Advertising - Print and Events", "6100",
              ("Print advert", "Trade show stand", "Flyers printing", "Exhibition fee",
               "Magazine advert", "Banner stand"), 650),
    _Category("7100-00", "Rent", "7100",
              ("Office rent", "Warehouse rent", "Unit rent quarter", "Rent in advance",
               "Storage unit rent"), 1800, 0.3, True),
    _Category("7100-01", "Business Rates", "7100",
              ("Business rates", "Rates instalment", "Non-domestic rates"), 450, 0.3, True),
    _Category("7100-02", "Service Charges", "7100",
              ("Service charge", "Building maintenance charge", "Estate charge",
               "Common area charge"), 300, 0.4),
    _Category("7200-00", "Electricity", "7200",
              ("Electricity supply", "Electricity usage", "Standing charge electricity",
               "Power bill"), 260),
    _Category("7200-01", "Gas", "7200",
              ("Gas supply", "Gas usage", "Gas standing charge", "Heating gas"), 180),
    _Category("7200-02", "Water", "7200",
              ("Water rates", "Water and sewerage", "Water supply"), 90, 0.4),
    _Category("7300-00", "Fuel", "7300",
              ("Fuel card", "Diesel", "Petrol", "Fuel purchases", "AdBlue"), 140),
    _Category("7300-01", "Vehicle Repairs", "7300",
              ("Van servicing", "Tyres replaced", "MOT test", "Brake pads", "Windscreen repair",
               "Vehicle service"), 320),
    _Category("7300-02", "Vehicle Leasing", "7300",
              ("Van lease monthly", "Car lease rental", "Vehicle hire", "Lease payment van"),
              420, 0.3, True),
    _Category("7400-00", "Travel", "7400",
              ("Train tickets", "Flights", "Taxi", "Parking", "Rail fare", "Congestion charge"),
              70),
    _Category("7400-01", "Accommodation", "7400",
              ("Hotel stay", "Hotel accommodation", "Overnight stay", "Travelodge room"), 130),
    _Category("7400-02", "Entertaining", "7400",
              ("Client lunch", "Client dinner", "Staff party", "Hospitality", "Team meal"), 110),
    _Category("7500-00", "Printing", "7500",
              ("Business cards", "Printed letterheads", "Brochure printing", "Printed forms"),
              150),
    _Category("7500-01", "Stationery", "7500",
              ("Printer paper A4", "Toner cartridges", "Envelopes and labels", "Pens and notebooks",
               "Office supplies", "Ink cartridges"), 45),
    _Category("7502-00", "Telephone", "7502",
              ("Phone line rental", "Call charges", "Landline bill", "Telephone system rental"),
              60),
    _Category("7502-01", "Internet", "7502",
              ("Broadband monthly", "Leased line", "Fibre broadband", "Internet connection"), 55),
    _Category("7502-02", "Mobile Phones", "7502",
              ("Mobile phone contract", "SIM only plan", "Mobile airtime", "Mobile data bundle"),
              40),
    _Category("7600-00", "Legal Fees", "7600",
              ("Contract review", "Trademark filing", "Legal advice", "Employment law advice",
               "Lease negotiation fees"), 850),
    _Category("7600-01", "Accountancy", "7600",
              ("Accountancy fees", "Year end accounts", "Payroll bureau", "Bookkeeping services",
               "Tax return preparation"), 600),
    _Category("7700-00", "Equipment Repairs", "7700",
              ("Equipment repairs", "Boiler service", "Machine maintenance", "Forklift repair",
               "Printer repair"), 280),
    _Category("7800-00", "Software Subscriptions", "7800",
              ("Cloud hosting", "Accounting licence", "Design software seats", "Microsoft 365",
               "CRM subscription", "Website hosting"), 120),
    _Category("0030-00", "Computer Equipment", "7800",
              ("Laptop", "Desktop PC", "Monitor 27 inch", "Server", "Network switch",
               "Tablet"), 900),
    _Category("7810-00", "Computer Consumables", "7800",
              ("Keyboard and mouse", "USB cables", "Laptop", "Monitor 27 inch", "Headset",
               "Memory stick"), 60),
    _Category("7900-00", "Bank Charges", "7900",
              ("Bank charges", "Card processing fees", "Transaction fees", "Merchant fees"), 35),
    _Category("8200-00", "Insurance", "8200",
              ("Public liability cover", "Vehicle insurance", "Stock insurance",
               "Professional indemnity", "Buildings insurance"), 700),
)  # fmt: skip

SAGE_GL_ACCOUNTS: tuple[tuple[str, str, str], ...] = tuple(
    (category.account, category.name, category.nominal) for category in _CATEGORIES
)
"""Sage 100 account, its name, and the KashFlow nominal it rolls up to."""

NOMINAL_TO_SAGE: dict[str, str] = {
    "5000": "5000-01",
    "5010": "5010-00",
    "6100": "6100-00",
    "7100": "7100-00",
    "7200": "7200-00",
    "7300": "7300-00",
    "7400": "7400-00",
    "7500": "7500-01",
    "7502": "7502-00",
    "7600": "7600-00",
    "7700": "7700-00",
    "7800": "7800-00",
    "7900": "7900-00",
    "8200": "8200-00",
}
"""The cold-start mapping a finance team writes down: each nominal's usual Sage account."""

# Which categories each supplier kind sells (by account), keyed by SUPPLIER_KINDS kind name.
_KIND_ACCOUNTS: dict[str, tuple[str, ...]] = {
    "Stationers": ("7500-00", "7500-01"),
    "Telecom": ("7502-00", "7502-01", "7502-02"),
    "Energy": ("7200-00", "7200-01"),
    "Motors": ("7300-00", "7300-01"),
    "Software": ("7800-00",),
    "Legal": ("7600-00",),
    "Insurance": ("8200-00",),
    "Packaging": ("5010-00",),
    "Materials": ("5000-01", "5000-02", "5000-03"),
    "Media": ("6100-00", "6100-01"),
    "Travel": ("7400-00", "7400-01", "7400-02"),
    "Property": ("7100-00", "7100-01", "7100-02"),
    "Accountants": ("7600-01",),
    "Water": ("7200-02",),
    "Leasing": ("7300-02",),
    "Computers": ("0030-00", "7810-00", "7800-00"),
    "Bank": ("7900-00",),
    "Repairs": ("7700-00",),
}
_GENERAL_MERCHANT_ACCOUNTS = (
    "7500-01", "7810-00", "5010-00", "5000-02", "5000-03", "0030-00", "7400-02",
)  # fmt: skip
_GENERAL_MERCHANTS = (
    "Amazon Business", "Costco Wholesale", "Screwfix Direct", "Viking Direct", "Argos for Business",
    "Toolstation", "Staples UK", "Makro",
)  # fmt: skip
_NAME_WORDS = (
    "Acme", "Bright", "Castle", "Delta", "Evergreen", "Falcon", "Granite", "Harbour", "Iris",
    "Juniper", "Kestrel", "Lakeside", "Meadow", "Northgate", "Oakwood", "Pioneer", "Quayside",
    "Riverside", "Summit", "Thistle", "Upland", "Vale", "Westbrook", "Zenith", "Amber", "Beacon",
)  # fmt: skip
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_VAGUE = ("Goods", "Services", "Monthly charge", "See invoice", "Sundries", "Invoice")


@dataclass(frozen=True)
class GLDataset:
    """Labelled lines; `gl_account` is the truth, the other columns are what KashFlow holds."""

    lines: pl.DataFrame
    """`line_id, date, description, counterparty, amount, nominal_code, gl_account`,
    in date order (train on the earlier lines, test on the later)."""
    nominal_to_sage: dict[str, str]


def generate_gl_dataset(n_lines: int, seed: int = 0, n_suppliers: int | None = None) -> GLDataset:
    """`n_lines` purchase lines from about `n_lines / 40` suppliers; deterministic for the seed."""
    rng = np.random.default_rng(seed)
    by_account = {category.account: category for category in _CATEGORIES}
    suppliers = _suppliers(n_suppliers or max(30, n_lines // 40), rng)
    # Suppliers differ in how much they sell: a few carry most lines.
    activity = rng.pareto(1.2, len(suppliers)) + 1.0
    supplier_of_line = rng.choice(len(suppliers), size=n_lines, p=activity / activity.sum())
    days_back = rng.integers(0, 730, size=n_lines)
    rolls = rng.random((n_lines, 6))
    rows: dict[str, list[object]] = {
        key: []
        for key in ("date", "description", "counterparty", "amount", "nominal_code", "gl_account")
    }
    for i in range(n_lines):
        name, accounts, default_nominal = suppliers[supplier_of_line[i]]
        category = by_account[accounts[int(rolls[i, 0] * len(accounts))]]
        amount = _amount(category, rng)
        account = category.account
        if account in ("0030-00", "7810-00"):  # capitalised or not by amount
            account = "0030-00" if amount >= CAPITALISATION_LIMIT else "7810-00"
        rows["date"].append(ANCHOR_DATE - timedelta(days=int(days_back[i])))
        rows["description"].append(_description(category, rolls[i, 1], rng))
        rows["counterparty"].append(name)
        rows["amount"].append(amount)
        rows["nominal_code"].append(_nominal(category, default_nominal, rolls[i, 2], rng))
        if rolls[i, 3] < 0.03:  # posted inconsistently: a sibling account of the same nominal
            siblings = [c.account for c in _CATEGORIES if c.nominal == category.nominal]
            account = siblings[int(rolls[i, 4] * len(siblings))]
        rows["gl_account"].append(account)
    lines = (
        pl.DataFrame(rows, schema=_SCHEMA)
        .sort("date", maintain_order=True)
        .with_row_index("line_id")
        .with_columns(pl.format("GL{}", pl.col("line_id")).alias("line_id"))
    )
    return GLDataset(lines=lines, nominal_to_sage=dict(NOMINAL_TO_SAGE))


_SCHEMA = {
    "date": pl.Date,
    "description": pl.Utf8,
    "counterparty": pl.Utf8,
    "amount": pl.Float64,
    "nominal_code": pl.Utf8,
    "gl_account": pl.Utf8,
}


def _suppliers(n: int, rng: np.random.Generator) -> list[tuple[str, tuple[str, ...], str]]:
    """(name, accounts it sells, its KashFlow DefaultNominalCode)."""
    kinds = [kind for kind, _, _ in SUPPLIER_KINDS] + [
        "Accountants", "Water", "Leasing", "Computers", "Bank", "Repairs",
    ]  # fmt: skip
    nominal_of = {category.account: category.nominal for category in _CATEGORIES}
    suppliers: list[tuple[str, tuple[str, ...], str]] = []
    names: set[str] = set()
    for i in range(n):
        accounts: tuple[str, ...]
        if i < len(_GENERAL_MERCHANTS) and n >= 2 * len(_GENERAL_MERCHANTS):
            name = _GENERAL_MERCHANTS[i]
            accounts = _GENERAL_MERCHANT_ACCOUNTS
        else:
            kind = kinds[int(rng.integers(len(kinds)))]
            accounts = _KIND_ACCOUNTS[kind]
            if len(accounts) > 1 and rng.random() < 0.4:  # a specialist in one line of it
                accounts = (accounts[int(rng.integers(len(accounts)))],)
            name = f"{_NAME_WORDS[int(rng.integers(len(_NAME_WORDS)))]} {kind}"
            suffix = ("Ltd", "Limited", "PLC", "Services Ltd", "Group")[int(rng.integers(5))]
            name = f"{name} {suffix}"
            while name in names:
                name = f"{name} {int(rng.integers(2, 99))}"
        names.add(name)
        suppliers.append((name, accounts, nominal_of[accounts[0]]))
    return suppliers


def _amount(category: _Category, rng: np.random.Generator) -> float:
    amount = float(category.median_amount * np.exp(rng.normal(0.0, category.spread)))
    if category.account in ("0030-00", "7810-00"):
        amount = float(np.exp(rng.uniform(np.log(15), np.log(2500))))
    if category.round_amounts and rng.random() < 0.7:
        return float(round(amount, -1))
    return round(max(amount, 1.0), 2)


def _description(category: _Category, roll: float, rng: np.random.Generator) -> str:
    if roll < 0.06:
        return _VAGUE[int(rng.integers(len(_VAGUE)))]
    text = category.descriptions[int(rng.integers(len(category.descriptions)))]
    extra = rng.random()
    if extra < 0.25:
        month = _MONTHS[int(rng.integers(12))]
        text = f"{text} - {month} {int(rng.choice((2025, 2026)))}"
    elif extra < 0.4:
        text = f"{text} inv {int(rng.integers(1000, 99999))}"
    elif extra < 0.5:
        text = f"{int(rng.integers(1, 20))} x {text}"
    elif extra < 0.55:
        text = f"{text} (ref {int(rng.integers(100, 999))}/{int(rng.integers(10, 99))})"
    if rng.random() < 0.1:
        text = _typo(text, rng)
    style = rng.random()
    if style < 0.2:
        text = text.upper()
    elif style < 0.3:
        text = text.lower()
    return text


def _typo(text: str, rng: np.random.Generator) -> str:
    positions = [i for i in range(1, len(text) - 1) if text[i].isalpha() and text[i + 1].isalpha()]
    if not positions:
        return text
    i = positions[int(rng.integers(len(positions)))]
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + text[i + 1 :]


def _nominal(
    category: _Category, default_nominal: str, roll: float, rng: np.random.Generator
) -> str | None:
    if roll < 0.75:
        return category.nominal
    if roll < 0.85:
        return default_nominal  # the supplier's default, whatever the line is
    if roll < 0.93:
        return None
    expense_codes = [code for code, _, kind in GL_CHART if kind == "expense"]
    return expense_codes[int(rng.integers(len(expense_codes)))]


def split_by_supplier(
    lines: pl.DataFrame, held_out_fraction: float = 0.25, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """History of most suppliers, and every line of the others (suppliers never seen).

    The held-out suppliers are drawn at random (by `seed`), so general merchants and
    specialists alike can be new; what is measured on the second frame is how well a
    suggester does for a supplier it has no history of.
    """
    suppliers = sorted(set(lines["counterparty"].to_list()))
    rng = np.random.default_rng(seed)
    held_out = set(rng.permutation(suppliers)[: int(len(suppliers) * held_out_fraction)].tolist())
    new = pl.col("counterparty").is_in(sorted(held_out))
    return lines.filter(~new), lines.filter(new)


def split_by_date(
    lines: pl.DataFrame, train_fraction: float = 0.8
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The earlier `train_fraction` of `lines` (history) and the rest (to suggest for)."""
    cut = int(lines.height * train_fraction)
    ordered = lines.sort("date", "line_id")
    return ordered.head(cut), ordered.slice(cut)
