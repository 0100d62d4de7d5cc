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
from sandbox.datagen.payments import (
    PaymentDataset,
    PaymentNoise,
    generate_payment_dataset,
    read_payment_dataset,
)

__all__ = [
    "ANCHOR_DATE",
    "SIZES",
    "Company",
    "CompanySize",
    "CompanyView",
    "PaymentDataset",
    "PaymentNoise",
    "generate_company",
    "generate_payment_dataset",
    "read_payment_dataset",
]
