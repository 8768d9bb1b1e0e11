# Bahasa Indonesia: one date and one date-time format for pages, e-mails and PDFs alike ("30/11/2026",
# "30/11/2026 22.37": Indonesian writes the time with a dot), as the Indonesian documents print them.
DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H.i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H.i"
