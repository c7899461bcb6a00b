"""Personal data (GDPR): where it lives, the export a person may ask for (Art. 15), erasure with
the records the law requires kept under a legal hold (Art. 17 (3)), and retention (Art. 5 (1)(e))."""
