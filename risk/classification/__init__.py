"""Loan classification and provisioning: as-of delinquency from the repayment history, the
five-tier classification of China's 2023 measures, and IFRS 9 stages with expected credit
loss. Plain functions over arrays and plain values; see the README's "Classification and
provisioning" section."""
