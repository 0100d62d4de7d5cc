"""Seeded generators of realistic data with known ground truth.

`company` builds one business seen from both systems (it seeds both sandboxes); the
labelled generators beside it build matcher data sets at any size with their truth.
"""

from sandbox.datagen.company import (
    ANCHOR_DATE,
    SIZES,
    Company,
    CompanySize,
    CompanyView,
    generate_company,
)

__all__ = ["ANCHOR_DATE", "SIZES", "Company", "CompanySize", "CompanyView", "generate_company"]
