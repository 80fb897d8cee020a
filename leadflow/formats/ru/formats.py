# E: the month's name as a date needs it (genitive): "4 декабря 2026".
DATE_FORMAT = "j E Y"
MONTH_DAY_FORMAT = "j E"
DATETIME_FORMAT = "j E Y, H:i"
