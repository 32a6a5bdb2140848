-- Undoes 0705_prizes_winners.
DROP TABLE winners;

DROP TABLE prizes;
