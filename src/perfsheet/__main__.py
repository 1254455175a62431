if __name__ == "__main__":
    # Import inside the guard: spawned pool workers re-import this module (as __mp_main__)
    # and need neither the CLI nor its imports.
    from perfsheet.cli import main

    main()
