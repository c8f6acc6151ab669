/* Runs a command as a child subreaper: orphans below it (QEMU processes
 * libvirtd leaves behind) are reaped at once instead of by PID 1, which
 * here is slow and makes guest shutdown take seconds. Exits with the
 * command's status. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void
forward (int sig)
{
  if (child > 0)
    kill (child, sig);
}

int
main (int argc, char **argv)
{
  int status = 0;
  pid_t pid;

  if (argc < 2)
    {
      fprintf (stderr, "usage: %s COMMAND [ARG...]\n", argv[0]);
      return 2;
    }
  if (prctl (PR_SET_CHILD_SUBREAPER, 1) != 0)
    perror ("prctl");
  child = fork ();
  if (child < 0)
    return 1;
  if (child == 0)
    {
      execvp (argv[1], argv + 1);
      perror (argv[1]);
      _exit (127);
    }
  signal (SIGTERM, forward);
  signal (SIGINT, forward);
  for (;;)
    {
      int st;

      pid = wait (&st);
      if (pid < 0 && errno == EINTR)
        continue;
      if (pid < 0)
        break;
      if (pid == child)
        status = st;
    }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
