"""Seeded generators of realistic data with known ground truth.

`company` builds one business seen from both systems (it seeds both sandboxes); the
labelled generators beside it build matcher data sets at any size with their truth.
"""

from sandbox.datagen.anomalies import AnomalyDataset, generate_anomaly_dataset
from sandbox.datagen.company import (
    ANCHOR_DATE,
    SIZES,
    Company,
    CompanySize,
    CompanyView,
    generate_company,
)
from sandbox.datagen.gl import NOMINAL_TO_SAGE, SAGE_GL_ACCOUNTS, GLDataset, generate_gl_dataset
from sandbox.datagen.masters import MasterDataset, generate_master_dataset
from sandbox.datagen.payments import (
    PaymentDataset,
    PaymentNoise,
    generate_payment_dataset,
    read_payment_dataset,
)

__all__ = [
    "ANCHOR_DATE",
    "NOMINAL_TO_SAGE",
    "SAGE_GL_ACCOUNTS",
    "SIZES",
    "AnomalyDataset",
    "Company",
    "CompanySize",
    "CompanyView",
    "GLDataset",
    "MasterDataset",
    "PaymentDataset",
    "PaymentNoise",
    "generate_anomaly_dataset",
    "generate_company",
    "generate_gl_dataset",
    "generate_master_dataset",
    "generate_payment_dataset",
    "read_payment_dataset",
]
