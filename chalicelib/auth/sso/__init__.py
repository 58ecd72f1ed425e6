"""Module sign-in: the relying-party side of "Log In with Hub", shared by portal and IT Docs."""
