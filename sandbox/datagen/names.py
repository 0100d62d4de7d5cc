"""Word pools the generators share, so one business and the matcher data speak alike.

Each generator draws from these (and may extend them); the order is part of what a seed
gives, so append, never reorder.
"""

TRADES = (
    "Trading",
    "Supplies",
    "Engineering",
    "Design",
    "Foods",
    "Logistics",
    "Interiors",
    "Consulting",
    "Builders",
    "Garden Centre",
    "Print",
    "Motors",
    "Textiles",
    "Joinery",
    "Electrical",
    "Catering",
    "Studios",
    "Outdoor",
    "Pharmacy",
    "Bakery",
)
"""What a business does, as the second word of its name."""

STREETS = (
    "High Street",
    "Station Road",
    "Mill Lane",
    "Church Street",
    "Park Road",
    "Queen Street",
)
"""Street names for address lines."""

TOWNS = (
    ("Leeds", "LS", "LS1"),
    ("Manchester", "M", "M1"),
    ("Bristol", "BS", "BS1"),
    ("York", "YO", "YO1"),
    ("Norwich", "NR", "NR1"),
    ("Cardiff", "CF", "CF10"),
    ("Glasgow", "G", "G1"),
    ("Exeter", "EX", "EX1"),
    ("Bath", "BA", "BA1"),
    ("Durham", "DH", "DH1"),
    ("Chester", "CH", "CH1"),
    ("Oxford", "OX", "OX1"),
)
"""(town, postcode area, its central district)."""
