;;; artifact-lsp-lsp-mode.el --- artifact-lsp through lsp-mode  -*- lexical-binding: t; -*-

;; For lsp-mode users (eglot users: artifact-lsp-eglot.el). Copy this into your init file after
;; your packages are initialised. The same two modes as the eglot setup: artifact.yml and
;; test_matrix.yaml get `artifact-yaml-mode', artifact.json `artifact-json-mode'; lsp-mode
;; starts `artifact-lsp serve' for them, as an add-on next to any YAML server you run.
;; Tested in Emacs 28 with lsp-mode 8.0.0 (tests/test_emacs.py).

(require 'yaml-mode)

(define-derived-mode artifact-yaml-mode yaml-mode "Artifact-YAML"
  "`yaml-mode' for ESB's artifact.yml and test_matrix.yaml, served by artifact-lsp.")

(define-derived-mode artifact-json-mode js-mode "Artifact-JSON"
  "`js-mode' for the legacy artifact.json, served by artifact-lsp.")

(add-to-list 'auto-mode-alist '("/artifact\\.yml\\'" . artifact-yaml-mode))
(add-to-list 'auto-mode-alist '("/test_matrix\\.yaml\\'" . artifact-yaml-mode))
(add-to-list 'auto-mode-alist '("/artifact\\.json\\'" . artifact-json-mode))

(with-eval-after-load 'lsp-mode
  (add-to-list 'lsp-language-id-configuration '(artifact-yaml-mode . "yaml"))
  (add-to-list 'lsp-language-id-configuration '(artifact-json-mode . "json"))
  (lsp-register-client
   (make-lsp-client
    :new-connection (lsp-stdio-connection '("artifact-lsp" "serve"))
    :major-modes '(artifact-yaml-mode artifact-json-mode)
    :server-id 'artifact-lsp
    :add-on? t)))

(add-hook 'artifact-yaml-mode-hook #'lsp-deferred)
(add-hook 'artifact-json-mode-hook #'lsp-deferred)

;;; artifact-lsp-lsp-mode.el ends here
