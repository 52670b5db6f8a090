"""One module per activity type. Each exposes ``verify(ctx, activity)``, which proves
authority and fetches what it needs (no writes), returning what ``receive`` needs; and
``receive(ctx, activity, prepared, conn)``, which writes, inside the transaction that also
marks the inbox job done. ``Drop`` in either ends the job with a reason, without effects."""
