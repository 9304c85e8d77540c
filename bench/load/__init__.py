"""`twistbridge load`: drive HTTP load at one URL and measure what comes back."""
