"""The typed representation every other part of Eenvoud reads."""
