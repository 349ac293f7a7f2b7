"""One router per resource. Handlers translate HTTP into calls on the Service and back: no rules
logic lives here."""
